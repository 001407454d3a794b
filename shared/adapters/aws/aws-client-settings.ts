import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { ProviderError } from '../../domain/providers/provider-errors.js';
import { type FailureClassification, classifyHttpStatus, errorMessage, isNetworkError } from '../provider-retry.js';

/**
 * Settings every AWS client of the collectors takes. They come from the one config reader; adapters never
 * read the environment. When `endpoint` is absent the SDK still honours the standard
 * `AWS_ENDPOINT_URL_<SERVICE_ID>` variables itself (`AWS_ENDPOINT_URL_COST_EXPLORER`, `AWS_ENDPOINT_URL_EC2`,
 * `AWS_ENDPOINT_URL_PRICING`, `AWS_ENDPOINT_URL_SERVICE_QUOTAS`), which is how the local runtime points the
 * deployed code at the local provider server without code changes.
 */
export interface AwsClientSettings {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** Client configuration shared by all AWS clients: retries are ours (provider-retry.ts), not the SDK's. */
export function awsClientConfig(settings: AwsClientSettings) {
  return {
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: 1,
  };
}

const throttlingCodes = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'RequestThrottled',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
]);

const transientCodes = new Set([
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
]);

interface AwsSdkError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
  $response?: { statusCode?: number };
}

/** An AWS SDK v3 error → how to treat it. */
export function classifyAwsError(error: unknown): FailureClassification {
  if (error instanceof ProviderError)
    return { kind: error.kind === 'not_configured' ? 'rejected' : error.kind, retryable: false, message: error.message };
  const e = (error ?? {}) as AwsSdkError;
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const code = e.name;
  const message = errorMessage(error);
  if ((code && throttlingCodes.has(code)) || e.$retryable?.throttling === true || status === 429) {
    return { kind: 'throttled', retryable: true, message, httpStatus: status, providerCode: code };
  }
  if (isNetworkError(error)) return { kind: 'unavailable', retryable: true, message, providerCode: (error as { code?: string }).code };
  // A reply the SDK could not parse: a 2xx whose body is not JSON / XML, or an error body it could not read.
  if (error instanceof SyntaxError || /deserializ|unexpected token|unexpected end|not valid json|xml|parse/i.test(`${code} ${message}`)) {
    if (status === undefined || (status >= 200 && status < 300)) {
      return {
        kind: 'malformed_reply',
        retryable: false,
        message: `the reply could not be parsed (${message})`,
        httpStatus: status,
        providerCode: code,
      };
    }
  }
  if ((code && transientCodes.has(code)) || e.$fault === 'server' || (status !== undefined && status >= 500)) {
    return { kind: 'unavailable', retryable: true, message, httpStatus: status, providerCode: code };
  }
  if (status !== undefined) return classifyHttpStatus(status, message, code);
  return { kind: 'unavailable', retryable: false, message, providerCode: code };
}
