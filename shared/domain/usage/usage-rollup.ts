import { createHash } from 'node:crypto';
import type { Decimal } from '../core/money.js';
import { MINUTE_MS, minuteOf } from '../measurements/rollup.js';
import type { UsageEvent } from './usage-events.js';
import { addToSketch, emptySketch, mergeSketchInto, type LatencySketch } from './usage-sketch.js';

/**
 * Usage is folded into one rollup per minute per (workflow, agent, model, team). Merging two rollups of
 * the same minute and dimensions adds every counter and the latency sketches: exact and order-free, so
 * batches that touch one rollup can be applied in either order, and any window sums minutes.
 */
export { MINUTE_MS };

export interface UsageDimensions {
  workflow?: string | undefined;
  agent?: string | undefined;
  model: string;
  team?: string | undefined;
}
export const usageDimensions = ['workflow', 'agent', 'model', 'team'] as const;
export type UsageDimension = (typeof usageDimensions)[number];

export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  reasoningTokens: number;
  /** Pico-dollars of the priced requests (exact). */
  cost: Decimal;
  unpricedRequests: number;
  /** Tokens of the unpriced requests, so that per-token costs divide by priced tokens only. */
  unpricedInputTokens: number;
  unpricedOutputTokens: number;
  /** Sum of `ledger.retry.count`. */
  retries: number;
  /** Requests with at least one retry. */
  retriedRequests: number;
  errors: number;
  latency: LatencySketch;
}

export interface UsageMinute {
  minute: number;
  dims: UsageDimensions;
  totals: UsageTotals;
}

/** An event with the cost computed once at ingest (null: the model has no price). */
export interface PricedUsageEvent extends UsageEvent {
  cost: Decimal | null;
  /** The price-table entry used, when it differs from `model` (dated model names). */
  pricedAs: string | null;
}

export function emptyTotals(): UsageTotals {
  return {
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheCreationTokens: 0,
    reasoningTokens: 0,
    cost: 0n,
    unpricedRequests: 0,
    unpricedInputTokens: 0,
    unpricedOutputTokens: 0,
    retries: 0,
    retriedRequests: 0,
    errors: 0,
    latency: emptySketch(),
  };
}

export function addEvent(totals: UsageTotals, event: PricedUsageEvent): void {
  const t = event.tokens;
  totals.requests += 1;
  totals.inputTokens += t.input;
  totals.outputTokens += t.output;
  totals.cacheReadTokens += t.cacheRead;
  totals.cacheCreationTokens += t.cacheCreation;
  totals.reasoningTokens += t.reasoning;
  if (event.cost === null) {
    totals.unpricedRequests += 1;
    totals.unpricedInputTokens += t.input;
    totals.unpricedOutputTokens += t.output;
  } else {
    totals.cost += event.cost;
  }
  totals.retries += event.retries;
  if (event.retries > 0) totals.retriedRequests += 1;
  if (event.error) totals.errors += 1;
  if (event.durationMs !== undefined) addToSketch(totals.latency, event.durationMs);
}

/** Adds `b` into `a` (the sketch too) and returns `a`. */
export function mergeTotalsInto(a: UsageTotals, b: UsageTotals): UsageTotals {
  a.requests += b.requests;
  a.inputTokens += b.inputTokens;
  a.outputTokens += b.outputTokens;
  a.cacheReadTokens += b.cacheReadTokens;
  a.cacheCreationTokens += b.cacheCreationTokens;
  a.reasoningTokens += b.reasoningTokens;
  a.cost += b.cost;
  a.unpricedRequests += b.unpricedRequests;
  a.unpricedInputTokens += b.unpricedInputTokens;
  a.unpricedOutputTokens += b.unpricedOutputTokens;
  a.retries += b.retries;
  a.retriedRequests += b.retriedRequests;
  a.errors += b.errors;
  mergeSketchInto(a.latency, b.latency);
  return a;
}

/** A short stable digest of the dimensions, used in storage keys (the values themselves are stored beside it). */
export function dimensionsKey(dims: UsageDimensions): string {
  return createHash('sha256')
    .update(JSON.stringify([dims.workflow ?? null, dims.agent ?? null, dims.model, dims.team ?? null]))
    .digest('base64url')
    .slice(0, 16);
}

/** Fold priced events into minute rollups, sorted by minute. */
export function foldUsage(events: readonly PricedUsageEvent[]): UsageMinute[] {
  const groups = new Map<string, UsageMinute>();
  for (const event of events) {
    const minute = minuteOf(event.time);
    const key = `${minute}\u0000${event.workflow ?? ''}\u0001${event.agent ?? ''}\u0001${event.model}\u0001${event.team ?? ''}`;
    let rollup = groups.get(key);
    if (!rollup) {
      rollup = {
        minute,
        dims: { workflow: event.workflow, agent: event.agent, model: event.model, team: event.team },
        totals: emptyTotals(),
      };
      groups.set(key, rollup);
    }
    addEvent(rollup.totals, event);
  }
  return [...groups.values()].sort((a, b) => a.minute - b.minute);
}
