import { LedgerError } from '../../errors.js';
import type { CloudProvider } from './gpu-catalog.js';

/**
 * What went wrong talking to a cloud provider:
 * - `throttled`: the provider kept asking us to slow down past the retry budget;
 * - `unavailable`: server errors or network failures past the retry budget;
 * - `malformed_reply`: a reply that is not what the provider's API defines (bad JSON, missing fields, bad numbers);
 * - `rejected`: the provider refused the request (authentication, permissions, validation);
 * - `not_configured`: no credentials or settings for this provider.
 */
export type ProviderErrorKind = 'throttled' | 'unavailable' | 'malformed_reply' | 'rejected' | 'not_configured';

export interface ProviderErrorDetails {
  provider: CloudProvider;
  /** The API, as `service.operation`: `CostExplorer.GetCostAndUsage`, `BigQuery.jobs.getQueryResults`. */
  operation: string;
  attempts?: number;
  httpStatus?: number;
  /** The provider's own error code (`ThrottlingException`, `RateLimitExceeded`, `RESOURCE_EXHAUSTED`). */
  providerCode?: string;
  /** Where in the reply a malformed value was found: `ResultsByTime[3].Groups[0].Metrics.UnblendedCost.Amount`. */
  path?: string;
}

/**
 * The one error type for provider failures; a LedgerError, so the HTTP middleware maps it like any other
 * (502 for provider faults, 503 when the provider is not configured).
 */
export class ProviderError extends LedgerError {
  override name = 'ProviderError';
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly info: ProviderErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(kind === 'not_configured' ? 503 : 502, `provider_${kind}`, message, info);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}

/** A reply that does not have the shape the provider documents. */
export function malformedReply(provider: CloudProvider, operation: string, message: string, path?: string, cause?: unknown): ProviderError {
  const where = path ? ` at ${path}` : '';
  return new ProviderError(
    'malformed_reply',
    `${operation} returned a malformed reply${where}: ${message}`,
    { provider, operation, path },
    { cause },
  );
}
