import { isRestError } from '@azure/core-rest-pipeline';
import { ProviderError } from '../../domain/providers/provider-errors.js';
import { type FailureClassification, classifyHttpStatus, errorMessage, isNetworkError, retryAfterMs } from '../provider-retry.js';

/**
 * Headers Azure uses to say how long to wait. Cost Management sends its own
 * (`x-ms-ratelimit-microsoft.costmanagement-{qpu,entity,tenant,client}-retry-after`, seconds) besides the
 * standard Retry-After; the longest one wins.
 */
export const azureRetryAfterHeaders = [
  'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-entity-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-client-retry-after',
  'retry-after',
] as const;

export function azureRetryAfterMs(header: (name: string) => string | null | undefined): number | undefined {
  let longest: number | undefined;
  for (const name of azureRetryAfterHeaders) {
    const ms = retryAfterMs(header(name));
    if (ms !== undefined && (longest === undefined || ms > longest)) longest = ms;
  }
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = header(name);
    if (value && /^\d+$/.test(value.trim()) && (longest === undefined || Number(value) > longest)) longest = Number(value);
  }
  return longest;
}

/** An error from an Azure SDK pipeline (RestError) or from fetch → how to treat it. */
export function classifyAzureError(error: unknown): FailureClassification {
  if (error instanceof ProviderError)
    return { kind: error.kind === 'not_configured' ? 'rejected' : error.kind, retryable: false, message: error.message };
  if (isRestError(error)) {
    const status = error.statusCode;
    const code = error.code;
    if (code === 'PARSE_ERROR')
      return {
        kind: 'malformed_reply',
        retryable: false,
        message: 'the reply could not be parsed',
        httpStatus: status,
        providerCode: code,
      };
    const retryAfter = error.response ? azureRetryAfterMs((name) => error.response!.headers.get(name)) : undefined;
    if (status !== undefined) return classifyHttpStatus(status, errorMessage(error), code, retryAfter);
    if (code === 'REQUEST_SEND_ERROR' || isNetworkError(error))
      return { kind: 'unavailable', retryable: true, message: errorMessage(error), providerCode: code };
    return { kind: 'unavailable', retryable: false, message: errorMessage(error), providerCode: code };
  }
  if (isNetworkError(error) || (error instanceof TypeError && /fetch failed/i.test(error.message))) {
    return { kind: 'unavailable', retryable: true, message: errorMessage(error) };
  }
  return { kind: 'unavailable', retryable: false, message: errorMessage(error) };
}
