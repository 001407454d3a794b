import { z } from 'zod';
import { badRequest } from '../../errors.js';
import { divideDecimalByInteger, formatDecimal, roundDecimal } from '../core/money.js';
import { emptyTotals, mergeTotalsInto, usageDimensions, type UsageDimension, type UsageMinute, type UsageTotals } from './usage-rollup.js';
import { RELATIVE_ACCURACY, sketchQuantile } from './usage-sketch.js';
import { DAY_MS } from '../core/utc-time.js';

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 time with a zone, e.g. 2026-11-20T00:00:00Z' });
const filter = (what: string) => z.string().min(1).max(256).optional().describe(`only usage whose ${what} is exactly this`);

/** Query of `GET /v1/usage`. A minute counts when its start lies in [from, to). */
export const usageQuerySchema = z.object({
  from: isoTime.optional().describe('start of the window (inclusive); default 24 hours before `to`'),
  to: isoTime.optional().describe('end of the window (exclusive); default now'),
  groupBy: z.enum(usageDimensions, { message: `must be one of ${usageDimensions.join(', ')}` }).default('model'),
  workflow: filter('gen_ai.workflow.name'),
  agent: filter('gen_ai.agent.name'),
  model: filter('model (response model, else request model)'),
  team: filter('ledger.team'),
});
export type UsageQuery = z.output<typeof usageQuerySchema>;

export const MAX_USAGE_RANGE_DAYS = 31;

export interface UsageWindow {
  from: number;
  to: number;
  groupBy: UsageDimension;
  filters: Partial<Record<UsageDimension, string>>;
}

export function resolveUsageWindow(query: UsageQuery, now: number): UsageWindow {
  const to = query.to ? Date.parse(query.to) : now;
  const from = query.from ? Date.parse(query.from) : to - DAY_MS;
  if (from >= to) throw badRequest('from: must be before to', { path: 'from' });
  if (to - from > MAX_USAGE_RANGE_DAYS * DAY_MS)
    throw badRequest(`from: the window may span at most ${MAX_USAGE_RANGE_DAYS} days`, { path: 'from' });
  const filters: UsageWindow['filters'] = {};
  for (const dim of usageDimensions) if (query[dim] !== undefined) filters[dim] = query[dim];
  return { from, to, groupBy: query.groupBy, filters };
}

const latencySchema = z.object({
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  samples: z.number().int().describe('requests that reported a duration'),
  relativeError: z.number().describe('each percentile is within this relative error of the exact one (DDSketch, α = 0.01)'),
});

export const usageMetricsSchema = z.object({
  requests: z.number().int(),
  tokens: z.object({
    input: z.number().int().describe('all input tokens, cached included'),
    uncachedInput: z.number().int().describe('input − cacheRead − cacheCreation'),
    cacheRead: z.number().int(),
    cacheCreation: z.number().int(),
    output: z.number().int().describe('all output tokens, reasoning included'),
    reasoning: z.number().int(),
    total: z.number().int().describe('input + output'),
  }),
  cost: z.string().describe('USD of the priced requests, exact decimal'),
  costPer1kRequests: z.string().nullable().describe('USD per 1,000 priced requests (6 places); null without priced requests'),
  costPerMillionTokens: z.string().nullable().describe('USD per million tokens (input + output) of priced requests (6 places)'),
  retryRate: z.number().nullable().describe('share of requests with at least one retry'),
  retriesPerRequest: z.number().nullable().describe('ledger.retry.count summed, per request'),
  errorRate: z.number().nullable().describe('share of requests with status error or error.type'),
  latencyMs: latencySchema,
  unpricedRequests: z.number().int().describe('requests whose model had no price at ingest: their tokens are counted, their cost is not'),
});
export type UsageMetrics = z.infer<typeof usageMetricsSchema>;

export const usageReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(usageDimensions),
    currency: z.literal('USD'),
    groups: z.array(
      usageMetricsSchema.extend({
        key: z.string().nullable().describe('value of the groupBy dimension; null when the events did not set it'),
      }),
    ),
    total: usageMetricsSchema,
  })
  .meta({ id: 'UsageReport' });
export type UsageReport = z.infer<typeof usageReportSchema>;

const ratio = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1e6) / 1e6);
const ms = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

export function usageMetrics(t: UsageTotals): UsageMetrics {
  const pricedRequests = t.requests - t.unpricedRequests;
  const pricedTokens = t.inputTokens + t.outputTokens - t.unpricedInputTokens - t.unpricedOutputTokens;
  return {
    requests: t.requests,
    tokens: {
      input: t.inputTokens,
      uncachedInput: t.inputTokens - t.cacheReadTokens - t.cacheCreationTokens,
      cacheRead: t.cacheReadTokens,
      cacheCreation: t.cacheCreationTokens,
      output: t.outputTokens,
      reasoning: t.reasoningTokens,
      total: t.inputTokens + t.outputTokens,
    },
    cost: formatDecimal(t.cost),
    costPer1kRequests: pricedRequests > 0 ? formatDecimal(roundDecimal(divideDecimalByInteger(t.cost * 1000n, pricedRequests), 6)) : null,
    costPerMillionTokens:
      pricedTokens > 0 ? formatDecimal(roundDecimal(divideDecimalByInteger(t.cost * 1_000_000n, pricedTokens), 6)) : null,
    retryRate: ratio(t.retriedRequests, t.requests),
    retriesPerRequest: ratio(t.retries, t.requests),
    errorRate: ratio(t.errors, t.requests),
    latencyMs: {
      p50: ms(sketchQuantile(t.latency, 0.5)),
      p95: ms(sketchQuantile(t.latency, 0.95)),
      p99: ms(sketchQuantile(t.latency, 0.99)),
      samples: t.latency.count,
      relativeError: RELATIVE_ACCURACY,
    },
    unpricedRequests: t.unpricedRequests,
  };
}

export function matchesFilters(rollup: UsageMinute, filters: UsageWindow['filters']): boolean {
  for (const dim of usageDimensions) {
    const wanted = filters[dim];
    if (wanted !== undefined && rollup.dims[dim] !== wanted) return false;
  }
  return true;
}

/** Sum the minutes of the window per group and in total. Groups by cost, then requests, descending. */
export function summarizeUsage(rollups: Iterable<UsageMinute>, window: UsageWindow): UsageReport {
  const groups = new Map<string | null, UsageTotals>();
  const total = emptyTotals();
  for (const rollup of rollups) {
    if (rollup.minute < window.from || rollup.minute >= window.to || !matchesFilters(rollup, window.filters)) continue;
    const key = rollup.dims[window.groupBy] ?? null;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = emptyTotals()));
    mergeTotalsInto(group, rollup.totals);
    mergeTotalsInto(total, rollup.totals);
  }
  const ordered = [...groups.entries()].sort(
    ([ka, a], [kb, b]) =>
      (a.cost === b.cost ? 0 : a.cost > b.cost ? -1 : 1) || b.requests - a.requests || String(ka).localeCompare(String(kb)),
  );
  return {
    from: new Date(window.from).toISOString(),
    to: new Date(window.to).toISOString(),
    groupBy: window.groupBy,
    currency: 'USD',
    groups: ordered.map(([key, totals]) => ({ key, ...usageMetrics(totals) })),
    total: usageMetrics(total),
  };
}
