import { ProviderError } from '../../domain/providers/provider-errors.js';
import { type FailureClassification, classifyHttpStatus, errorMessage, isNetworkError } from '../provider-retry.js';

/** gRPC status codes, as google-gax reports them (also for the REST transport). */
const grpc = { UNKNOWN: 2, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, ABORTED: 10, INTERNAL: 13, UNAVAILABLE: 14 } as const;

function parseFailure(error: unknown, message: string): FailureClassification | undefined {
  if (
    error instanceof SyntaxError ||
    /received null (or malformed )?response|unexpected token|not valid json|unexpected end of json/i.test(message)
  ) {
    return { kind: 'malformed_reply', retryable: false, message: `the reply could not be parsed (${message})` };
  }
  return undefined;
}

/** An error of a google-gax client (Cloud Billing Catalog, REST transport) → how to treat it. */
export function classifyGaxError(error: unknown): FailureClassification {
  if (error instanceof ProviderError)
    return { kind: error.kind === 'not_configured' ? 'rejected' : error.kind, retryable: false, message: error.message };
  const message = errorMessage(error);
  const parse = parseFailure(error, message);
  if (parse) return parse;
  if (isNetworkError(error)) return { kind: 'unavailable', retryable: true, message };
  // The REST transport sends through the auth client's fetch (gaxios), which rejects non-2xx replies with the
  // HTTP status; replies it lets through are decoded into gRPC codes.
  const httpStatus =
    (error as { status?: unknown; response?: { status?: unknown } })?.response?.status ?? (error as { status?: unknown })?.status;
  if (typeof httpStatus === 'number') {
    const status = /"status"\s*:\s*"([A-Z_]+)"/.exec(message)?.[1];
    return { ...classifyHttpStatus(httpStatus, message, status), message: googleErrorMessage(message) };
  }
  const code = (error as { code?: unknown })?.code;
  if (code === grpc.RESOURCE_EXHAUSTED)
    return { kind: 'throttled', retryable: true, message, providerCode: 'RESOURCE_EXHAUSTED', httpStatus: 429 };
  if (
    code === grpc.UNAVAILABLE ||
    code === grpc.INTERNAL ||
    code === grpc.DEADLINE_EXCEEDED ||
    code === grpc.UNKNOWN ||
    code === grpc.ABORTED
  ) {
    return { kind: 'unavailable', retryable: true, message, providerCode: String(code) };
  }
  if (typeof code === 'number') return { kind: 'rejected', retryable: false, message, providerCode: String(code) };
  return { kind: 'unavailable', retryable: false, message };
}

/** An error of @google-cloud/common (BigQuery): `code` is the HTTP status, `errors[].reason` says more. */
export function classifyBigQueryError(error: unknown): FailureClassification {
  if (error instanceof ProviderError)
    return { kind: error.kind === 'not_configured' ? 'rejected' : error.kind, retryable: false, message: error.message };
  const message = errorMessage(error);
  if (isNetworkError(error)) return { kind: 'unavailable', retryable: true, message };
  const e = error as { code?: unknown; errors?: Array<{ reason?: string }>; response?: { statusCode?: number } };
  const status = typeof e?.code === 'number' ? e.code : e?.response?.statusCode;
  const reasons = (Array.isArray(e?.errors) ? e.errors : []).map((r) => r?.reason).filter((r): r is string => typeof r === 'string');
  if (reasons.includes('rateLimitExceeded') || reasons.includes('userRateLimitExceeded')) {
    return { kind: 'throttled', retryable: true, message, httpStatus: status, providerCode: reasons[0] };
  }
  if (reasons.includes('backendError') || reasons.includes('internalError'))
    return { kind: 'unavailable', retryable: true, message, httpStatus: status, providerCode: reasons[0] };
  if (typeof status === 'number') return classifyHttpStatus(status, message, reasons[0]);
  const parse = parseFailure(error, message);
  if (parse) return parse;
  return { kind: 'unavailable', retryable: false, message };
}

/** The `message` of a Google JSON error body, when the error text is that body. */
function googleErrorMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } })?.error?.message;
    return typeof message === 'string' ? message : text;
  } catch {
    return text;
  }
}
