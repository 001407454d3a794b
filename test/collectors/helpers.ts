import type { KeyedFocusRecord } from '../../shared/domain/costs/focus.js';
import type { RetryOptions } from '../../shared/adapters/provider-retry.js';

/** Retries that take milliseconds, not seconds. */
export const fastRetry: RetryOptions = { retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxTotalMs: 10_000 } };

/** SigV4 needs some credentials; the local server does not check them. */
export const localAwsCredentials = { accessKeyId: 'AKIALOCALPROVIDERS', secretAccessKey: 'local-provider-secret' };

/** The simulation's clock in every collector test. */
export const clock = '2026-11-23T09:30:00Z';

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Counts what passes through, for "at least three pages". */
export function counting<T>(iterable: AsyncIterable<T>): { pages: AsyncIterable<T>; count: () => number } {
  let n = 0;
  return {
    pages: (async function* () {
      for await (const item of iterable) {
        n++;
        yield item;
      }
    })(),
    count: () => n,
  };
}

export function byKey(records: KeyedFocusRecord[]): Map<string, KeyedFocusRecord> {
  return new Map(records.map((r) => [r.key.value, r]));
}

export async function failureOf(
  run: () => Promise<unknown>,
): Promise<Error & { kind?: string; info?: Record<string, unknown>; status?: number; code?: string }> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}
