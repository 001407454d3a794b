import { createHash } from 'node:crypto';
import type { Decimal } from '../core/money.js';
import { checkUsageWindow, type UsageEvent, type UsageIngestResult } from './usage-events.js';
import { findModelPrice, priceTable, usageCost, type ModelPrice } from './usage-pricing.js';
import { foldUsage, type PricedUsageEvent, type UsageMinute } from './usage-rollup.js';

/**
 * LLM usage ingest, exactly once per `ledger.request.id`:
 *
 * 1. The batch gets an owner id: a digest of its batchId and its validated content, so the same batch
 *    retried (after a timeout, or after failing halfway) has the same owner, and any other batch another.
 *    A batch record under that owner, written last, answers a complete replay without touching anything.
 * 2. Each event is claimed with a conditional write of its idempotency record (`attribute_not_exists`):
 *    the first owner wins. An event already claimed by another owner is a duplicate and is not counted;
 *    one claimed by this owner (a retry) is this batch's, with the cost stored when it was first claimed.
 *    Of two concurrent batches carrying the same event, exactly one claims it.
 * 3. This batch's events are folded into minute rollups, and each rollup is applied with the measurement
 *    store's technique: read, merge, write on a version condition, and record the owner in the rollup's
 *    set of applied owners, so a retry skips the rollups its first attempt already wrote.
 *
 * Claims never change owner, so every attempt of a batch folds the same events into the same rollups.
 * An event whose batch fails and is never retried stays claimed but uncounted: retry failed batches.
 */
export interface UsageBatchRecord {
  accepted: number;
  duplicates: number;
  unpriced: number;
  createdAt: string;
}

export type ClaimOutcome =
  | { outcome: 'claimed' }
  /** Claimed earlier by this same owner (a retried batch): its cost as computed then. */
  | { outcome: 'mine'; cost: Decimal | null; pricedAs: string | null }
  /** Claimed by another batch: a duplicate. */
  | { outcome: 'taken' };

export type RollupWrite = 'applied' | 'already-applied';

/** What usage ingest needs from storage. */
export interface UsageStore {
  getUsageBatch(owner: string): Promise<UsageBatchRecord | null>;
  /** Conditionally write one idempotency record per event; results in input order. */
  claimEvents(owner: string, events: readonly PricedUsageEvent[]): Promise<ClaimOutcome[]>;
  /** Apply each rollup at most once for this owner, even across retries of a half-applied batch. */
  applyRollups(owner: string, rollups: readonly UsageMinute[]): Promise<RollupWrite[]>;
  putUsageBatch(owner: string, record: UsageBatchRecord): Promise<void>;
  /** Prices set through the API (the defaults are in code). */
  storedModelPrices(): Promise<ModelPrice[]>;
}

/**
 * Owner id of a batch: 96 bits of SHA-256 over its batchId and every field of every validated event, in a
 * fixed order with separators that cannot occur in the values (validation refuses control characters).
 */
export function usageBatchOwner(batchId: string | undefined, events: readonly UsageEvent[]): string {
  const parts: string[] = [batchId ?? ''];
  for (const e of events) {
    const t = e.tokens;
    parts.push(
      `${e.requestId}\u0001${e.time}\u0001${e.requestModel ?? '\u0002'}\u0001${e.responseModel ?? '\u0002'}\u0001${e.operation ?? '\u0002'}\u0001` +
        `${e.provider ?? '\u0002'}\u0001${e.workflow ?? '\u0002'}\u0001${e.agent ?? '\u0002'}\u0001${e.team ?? '\u0002'}\u0001` +
        `${e.conversationId ?? '\u0002'}\u0001${e.errorType ?? '\u0002'}\u0001${t.input}\u0001${t.output}\u0001${t.cacheRead}\u0001` +
        `${t.cacheCreation}\u0001${t.reasoning}\u0001${e.retries}\u0001${e.error ? 1 : 0}\u0001${e.durationMs ?? '\u0002'}`,
    );
  }
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 16);
}

export function priceUsageEvent(event: UsageEvent, prices: ReadonlyMap<string, ModelPrice>): PricedUsageEvent {
  const price = findModelPrice(prices, [event.responseModel, event.requestModel]);
  return withCost(event, price ? usageCost(event.tokens, price) : null, price ? price.model : null);
}

/** Object.assign rather than spread: V8 copies these 17-field objects about ten times faster that way. */
function withCost(event: UsageEvent, cost: Decimal | null, pricedAs: string | null): PricedUsageEvent {
  return Object.assign({}, event, { cost, pricedAs });
}

/** Prices a batch, looking each (response model, requested model) pair up once. */
export function priceUsageEvents(events: readonly UsageEvent[], prices: ReadonlyMap<string, ModelPrice>): PricedUsageEvent[] {
  const found = new Map<string, ModelPrice | null>();
  return events.map((event) => {
    const key = `${event.responseModel ?? ''}\u0000${event.requestModel ?? ''}`;
    let price = found.get(key);
    if (price === undefined) {
      price = findModelPrice(prices, [event.responseModel, event.requestModel]) ?? null;
      found.set(key, price);
    }
    return withCost(event, price ? usageCost(event.tokens, price) : null, price ? price.model : null);
  });
}

/** First occurrence of each request id; later ones in the same batch are duplicates. */
export function uniqueByRequestId(events: readonly UsageEvent[]): UsageEvent[] {
  const seen = new Set<string>();
  const out: UsageEvent[] = [];
  for (const event of events) {
    if (seen.has(event.requestId)) continue;
    seen.add(event.requestId);
    out.push(event);
  }
  return out;
}

export interface UsageIngestOptions {
  batchId?: string | undefined;
  now: number;
}

/** Ingest validated events. See the comment at the top of this file for the exactly-once argument. */
export async function ingestUsage(
  store: UsageStore,
  events: readonly UsageEvent[],
  options: UsageIngestOptions,
): Promise<UsageIngestResult> {
  checkUsageWindow(events, options.now);
  if (events.length === 0) return { accepted: 0, duplicates: 0, unpriced: 0 };
  const owner = usageBatchOwner(options.batchId, events);
  if (await store.getUsageBatch(owner)) return { accepted: 0, duplicates: events.length, unpriced: 0 };

  const unique = uniqueByRequestId(events);
  const prices = priceTable(await store.storedModelPrices());
  const priced = priceUsageEvents(unique, prices);
  const outcomes = await store.claimEvents(owner, priced);

  const mine: PricedUsageEvent[] = [];
  outcomes.forEach((claim, i) => {
    const event = priced[i]!;
    if (claim.outcome === 'claimed') mine.push(event);
    else if (claim.outcome === 'mine') mine.push(withCost(event, claim.cost, claim.pricedAs));
  });
  await store.applyRollups(owner, foldUsage(mine));

  const result: UsageIngestResult = {
    accepted: mine.length,
    duplicates: events.length - mine.length,
    unpriced: mine.reduce((n, e) => n + (e.cost === null ? 1 : 0), 0),
  };
  await store.putUsageBatch(owner, { ...result, createdAt: new Date(options.now).toISOString() });
  return result;
}
