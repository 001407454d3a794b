import { describe, expect, it } from 'vitest';
import { ProviderError } from '../domain/providers/provider-errors.js';
import { type FailureClassification, type RetryClock, callWithRetry, classifyHttpStatus, retryAfterMs } from './provider-retry.js';

/** A clock that records sleeps instead of waiting. */
function fakeClock(random = 0.5): RetryClock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random: () => random,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const throttled: FailureClassification = { kind: 'throttled', retryable: true, message: 'slow down', httpStatus: 429 };

describe('callWithRetry', () => {
  it('backs off exponentially with jitter and then succeeds', async () => {
    const clock = fakeClock(0.5);
    let calls = 0;
    const result = await callWithRetry(
      {
        provider: 'aws',
        operation: 'Test.op',
        classify: () => throttled,
        clock,
        retry: { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 5 },
      },
      async () => {
        calls++;
        if (calls < 4) throw new Error('throttled');
        return 'ok';
      },
    );
    expect(result).toBe('ok');
    // Full jitter at random 0.5: half of 100, 200, 400.
    expect(clock.sleeps).toEqual([50, 100, 200]);
  });

  it('waits at least what the provider asks', async () => {
    const clock = fakeClock(0);
    let calls = 0;
    await callWithRetry(
      { provider: 'azure', operation: 'Test.op', classify: () => ({ ...throttled, retryAfterMs: 3000 }), clock },
      async () => {
        if (calls++ === 0) throw new Error('429');
        return 1;
      },
    );
    expect(clock.sleeps).toEqual([3000]);
  });

  it('stops at maxAttempts with a ProviderError that says how it went', async () => {
    const clock = fakeClock(1);
    const error = await callWithRetry(
      { provider: 'gcp', operation: 'Test.op', classify: () => throttled, clock, retry: { maxAttempts: 3, baseDelayMs: 10 } },
      async () => {
        throw new Error('nope');
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      kind: 'throttled',
      status: 502,
      code: 'provider_throttled',
      info: { provider: 'gcp', operation: 'Test.op', attempts: 3, httpStatus: 429 },
    });
    expect((error as Error).message).toBe('Test.op failed after 3 attempts in 30 ms (HTTP 429): slow down');
  });

  it('stops before a wait that would pass maxTotalMs', async () => {
    const clock = fakeClock(1);
    const error = await callWithRetry(
      {
        provider: 'aws',
        operation: 'Test.op',
        classify: () => ({ ...throttled, retryAfterMs: 60_000 }),
        clock,
        retry: { maxTotalMs: 30_000 },
      },
      async () => {
        throw new Error('nope');
      },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'throttled', info: { attempts: 1 } });
    expect(clock.sleeps).toEqual([]);
  });

  it('does not retry what is not retryable, and passes ProviderErrors through', async () => {
    let calls = 0;
    const rejected = await callWithRetry(
      { provider: 'aws', operation: 'Test.op', classify: () => classifyHttpStatus(403, 'denied', 'AccessDenied'), clock: fakeClock() },
      async () => {
        calls++;
        throw new Error('denied');
      },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((rejected as Error).message).toBe('Test.op failed (HTTP 403 AccessDenied): denied');
    const own = new ProviderError('malformed_reply', 'bad', { provider: 'aws', operation: 'Test.op' });
    await expect(
      callWithRetry({ provider: 'aws', operation: 'Test.op', classify: () => throttled, clock: fakeClock() }, async () =>
        Promise.reject(own),
      ),
    ).rejects.toBe(own);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('0.5')).toBe(500);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:05 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'))).toBe(5000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
