import { describe, expect, it } from 'vitest';
import { parseDecimal } from '../core/money.js';
import { foldUsage, type PricedUsageEvent } from './usage-rollup.js';
import { resolveUsageWindow, summarizeUsage, usageQuerySchema } from './usage-query.js';

const t0 = Date.parse('2026-11-20T10:00:00Z');
let n = 0;
function priced(extra: Partial<PricedUsageEvent>): PricedUsageEvent {
  n += 1;
  return {
    requestId: `r-${n}`,
    time: t0,
    model: 'gpt-4o',
    tokens: { input: 1000, output: 100, cacheRead: 0, cacheCreation: 0, reasoning: 0 },
    retries: 0,
    error: false,
    cost: parseDecimal('0.0035'),
    pricedAs: 'gpt-4o',
    ...extra,
  };
}

const window = (query: Record<string, string>) =>
  resolveUsageWindow(usageQuerySchema.parse({ from: '2026-11-20T10:00:00Z', to: '2026-11-20T11:00:00Z', ...query }), t0);

describe('summarizeUsage', () => {
  const events = [
    priced({ workflow: 'support', team: 'cx', durationMs: 100 }),
    priced({ workflow: 'support', team: 'cx', time: t0 + 61_000, retries: 2, durationMs: 300 }),
    priced({ workflow: 'support', team: 'cx', time: t0 + 125_000, error: true, durationMs: 200 }),
    priced({
      workflow: 'research',
      model: 'llama-3.1-8b',
      cost: null,
      pricedAs: null,
      tokens: { input: 500, output: 50, cacheRead: 0, cacheCreation: 0, reasoning: 0 },
    }),
    priced({
      model: 'o4-mini',
      cost: parseDecimal('0.01558'),
      tokens: { input: 800, output: 3000, cacheRead: 200, cacheCreation: 0, reasoning: 2500 },
      time: t0 + 3_599_999,
    }),
    priced({ time: t0 + 3_600_000 }), // the minute starting at `to` is outside the window
  ];
  const rollups = foldUsage(events);

  it('sums per group and in total, with exact costs and per-unit costs over priced requests only', () => {
    const report = summarizeUsage(rollups, window({ groupBy: 'model' }));
    expect(report.groups.map((g) => g.key)).toEqual(['o4-mini', 'gpt-4o', 'llama-3.1-8b']);
    const gpt = report.groups[1]!;
    expect(gpt).toMatchObject({
      requests: 3,
      cost: '0.0105',
      costPer1kRequests: '3.5',
      // 0.0105 USD / 3,300 tokens × 1e6 = 3.181818... → 6 places
      costPerMillionTokens: '3.181818',
      retryRate: 0.333333,
      retriesPerRequest: 0.666667,
      errorRate: 0.333333,
      unpricedRequests: 0,
    });
    expect(gpt.latencyMs.samples).toBe(3);
    expect(Math.abs(gpt.latencyMs.p50! - 200) / 200).toBeLessThanOrEqual(0.01);
    expect(report.groups[2]).toMatchObject({
      key: 'llama-3.1-8b',
      requests: 1,
      cost: '0',
      costPer1kRequests: null,
      costPerMillionTokens: null,
      unpricedRequests: 1,
    });
    expect(report.groups[2]!.latencyMs).toEqual({ p50: null, p95: null, p99: null, samples: 0, relativeError: 0.01 });
    expect(report.total).toMatchObject({
      requests: 5,
      cost: '0.02608',
      unpricedRequests: 1,
      tokens: { input: 4300, uncachedInput: 4100, cacheRead: 200, cacheCreation: 0, output: 3350, reasoning: 2500, total: 7650 },
      // per 1,000 priced requests: 0.02608 / 4 × 1000; per million priced tokens: 0.02608 / (7650 − 550) × 1e6
      costPer1kRequests: '6.52',
      costPerMillionTokens: '3.673239',
    });
  });

  it('groups by any dimension, with null for events that did not set it', () => {
    const report = summarizeUsage(rollups, window({ groupBy: 'workflow' }));
    expect(report.groups.map((g) => [g.key, g.requests])).toEqual([
      [null, 1],
      ['support', 3],
      ['research', 1],
    ]);
  });

  it('filters on any dimension', () => {
    const report = summarizeUsage(rollups, window({ groupBy: 'team', workflow: 'support' }));
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0]).toMatchObject({ key: 'cx', requests: 3 });
    expect(report.total.requests).toBe(3);
    expect(summarizeUsage(rollups, window({ model: 'nope' })).total).toMatchObject({ requests: 0, cost: '0', retryRate: null });
  });

  it('refuses inverted and oversized windows', () => {
    expect(() => resolveUsageWindow(usageQuerySchema.parse({ from: '2026-11-20T11:00:00Z', to: '2026-11-20T10:00:00Z' }), t0)).toThrow(
      'from: must be before to',
    );
    expect(() => resolveUsageWindow(usageQuerySchema.parse({ from: '2026-09-01T00:00:00Z', to: '2026-11-20T10:00:00Z' }), t0)).toThrow(
      'at most 31 days',
    );
    expect(usageQuerySchema.safeParse({ groupBy: 'provider' }).success).toBe(false);
  });
});
