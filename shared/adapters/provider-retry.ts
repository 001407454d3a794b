import type { CloudProvider } from '../domain/providers/gpu-catalog.js';
import { ProviderError, type ProviderErrorKind } from '../domain/providers/provider-errors.js';

/**
 * Retrying provider calls: throttling and transient failures are retried with exponential backoff and full
 * jitter, honouring the provider's Retry-After when it gives one, within a bounded number of attempts and a
 * bounded total time. Everything else fails at once. What comes out is always a ProviderError.
 *
 * The SDK clients' own retries are switched off where they are created (maxAttempts 1, maxRetries 0,
 * autoRetry false) so that this is the one place retries happen and the total time is bounded.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The first backoff ceiling; doubles each attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry is started that would end after this much time since the first attempt. */
  maxTotalMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 20_000, maxTotalMs: 120_000 };

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

export interface FailureClassification {
  kind: Exclude<ProviderErrorKind, 'not_configured'>;
  retryable: boolean;
  message: string;
  /** The provider asked us to wait this long (Retry-After and its provider-specific cousins). */
  retryAfterMs?: number;
  httpStatus?: number;
  providerCode?: string;
}

export interface RetryOptions {
  retry?: Partial<RetryPolicy>;
  clock?: RetryClock;
  /** Told before each wait; for logs and metrics. */
  onRetry?: (event: { operation: string; attempt: number; delayMs: number; failure: FailureClassification }) => void;
}

export interface ProviderCall extends RetryOptions {
  provider: CloudProvider;
  operation: string;
  classify: (error: unknown) => FailureClassification;
}

/** Runs `attemptCall` until it succeeds, fails for good, or the retry budget is spent. */
export async function callWithRetry<T>(call: ProviderCall, attemptCall: (attempt: number) => Promise<T>): Promise<T> {
  const policy = { ...defaultRetryPolicy, ...call.retry };
  const clock = call.clock ?? systemClock;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptCall(attempt);
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      const failure = call.classify(error);
      const elapsed = clock.now() - started;
      if (!failure.retryable || attempt >= policy.maxAttempts) throw giveUp(call, failure, attempt, elapsed, error);
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.max(failure.retryAfterMs ?? 0, Math.floor(clock.random() * ceiling));
      if (elapsed + delayMs > policy.maxTotalMs) throw giveUp(call, failure, attempt, elapsed, error);
      call.onRetry?.({ operation: call.operation, attempt, delayMs, failure });
      await clock.sleep(delayMs);
    }
  }
}

function giveUp(call: ProviderCall, failure: FailureClassification, attempts: number, elapsedMs: number, cause: unknown): ProviderError {
  const tried = failure.retryable ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${elapsedMs} ms` : '';
  const status = failure.httpStatus
    ? ` (HTTP ${failure.httpStatus}${failure.providerCode ? ` ${failure.providerCode}` : ''})`
    : failure.providerCode
      ? ` (${failure.providerCode})`
      : '';
  return new ProviderError(
    failure.kind,
    `${call.operation} failed${tried}${status}: ${failure.message}`,
    { provider: call.provider, operation: call.operation, attempts, httpStatus: failure.httpStatus, providerCode: failure.providerCode },
    { cause },
  );
}

/** Retry-After as seconds ("120") or an HTTP date, in ms from `now`. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const networkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A failure to talk at all (connection refused, reset, DNS, timeouts): retryable. */
export function isNetworkError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const e = current as { code?: unknown; name?: unknown; errno?: unknown };
    if (typeof e.code === 'string' && networkCodes.has(e.code)) return true;
    if (e.name === 'TimeoutError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The classification for an HTTP status with nothing more specific to go on. */
export function classifyHttpStatus(status: number, message: string, providerCode?: string, retryAfter?: number): FailureClassification {
  if (status === 429) return { kind: 'throttled', retryable: true, message, httpStatus: status, providerCode, retryAfterMs: retryAfter };
  if (status === 408 || status >= 500)
    return { kind: 'unavailable', retryable: true, message, httpStatus: status, providerCode, retryAfterMs: retryAfter };
  return { kind: 'rejected', retryable: false, message, httpStatus: status, providerCode };
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
