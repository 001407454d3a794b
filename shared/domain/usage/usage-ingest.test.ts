import { describe, expect, it } from 'vitest';
import { formatDecimal } from '../core/money.js';
import { parseUsageBatch, type UsageEvent } from './usage-events.js';
import {
  ingestUsage,
  usageBatchOwner,
  type ClaimOutcome,
  type RollupWrite,
  type UsageBatchRecord,
  type UsageStore,
} from './usage-ingest.js';
import type { ModelPrice } from './usage-pricing.js';
import { dimensionsKey, emptyTotals, mergeTotalsInto, type PricedUsageEvent, type UsageMinute } from './usage-rollup.js';

/** The store contract in memory: claims keep their first owner, rollups remember the owners applied. */
class MemoryUsageStore implements UsageStore {
  claims = new Map<string, { owner: string; event: PricedUsageEvent }>();
  rollups = new Map<string, { rollup: UsageMinute; owners: Set<string> }>();
  batches = new Map<string, UsageBatchRecord>();
  prices: ModelPrice[] = [];
  rollupWrites = 0;

  async getUsageBatch(owner: string) {
    return this.batches.get(owner) ?? null;
  }
  async putUsageBatch(owner: string, record: UsageBatchRecord) {
    this.batches.set(owner, record);
  }
  async storedModelPrices() {
    return this.prices;
  }
  async claimEvents(owner: string, events: readonly PricedUsageEvent[]): Promise<ClaimOutcome[]> {
    return events.map((event) => {
      const existing = this.claims.get(event.requestId);
      if (!existing) {
        this.claims.set(event.requestId, { owner, event });
        return { outcome: 'claimed' };
      }
      return existing.owner === owner
        ? { outcome: 'mine', cost: existing.event.cost, pricedAs: existing.event.pricedAs }
        : { outcome: 'taken' };
    });
  }
  async applyRollups(owner: string, rollups: readonly UsageMinute[]): Promise<RollupWrite[]> {
    return rollups.map((rollup) => {
      const key = `${rollup.minute}#${dimensionsKey(rollup.dims)}`;
      const current = this.rollups.get(key) ?? { rollup: { ...rollup, totals: emptyTotals() }, owners: new Set<string>() };
      if (current.owners.has(owner)) return 'already-applied';
      this.rollupWrites += 1;
      mergeTotalsInto(current.rollup.totals, rollup.totals);
      current.owners.add(owner);
      this.rollups.set(key, current);
      return 'applied';
    });
  }
  total() {
    const sum = emptyTotals();
    for (const { rollup } of this.rollups.values()) mergeTotalsInto(sum, rollup.totals);
    return sum;
  }
}

const now = Date.parse('2026-11-20T12:00:00Z');
const events = (ids: string[], extra: Record<string, unknown> = {}): UsageEvent[] =>
  parseUsageBatch({
    events: ids.map((id, i) => ({
      'ledger.request.id': id,
      time: now - 600_000 + i * 20_000,
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
      ...extra,
    })),
  }).events;

describe('ingestUsage', () => {
  it('prices once at ingest, counts, and answers a replay as duplicates without writing', async () => {
    const store = new MemoryUsageStore();
    const batch = events(['a', 'b', 'c']);
    expect(await ingestUsage(store, batch, { now })).toEqual({ accepted: 3, duplicates: 0, unpriced: 0 });
    // 1,000 × 2.5e-6 + 100 × 1e-5 = 0.0035 per request (the gpt-4o default)
    expect(formatDecimal(store.claims.get('a')!.event.cost!)).toBe('0.0035');
    expect(formatDecimal(store.total().cost)).toBe('0.0105');
    const writes = store.rollupWrites;
    expect(await ingestUsage(store, batch, { now })).toEqual({ accepted: 0, duplicates: 3, unpriced: 0 });
    expect(store.rollupWrites).toBe(writes);
    expect(store.total().requests).toBe(3);
  });

  it('counts an event carried by two different batches once', async () => {
    const store = new MemoryUsageStore();
    expect(await ingestUsage(store, events(['a', 'b']), { now })).toEqual({ accepted: 2, duplicates: 0, unpriced: 0 });
    expect(await ingestUsage(store, events(['b', 'c'], { 'ledger.team': 'x' }), { now })).toEqual({
      accepted: 1,
      duplicates: 1,
      unpriced: 0,
    });
    expect(store.total().requests).toBe(3);
  });

  it('counts a request id repeated inside one batch once', async () => {
    const store = new MemoryUsageStore();
    expect(await ingestUsage(store, events(['a', 'a', 'b']), { now })).toEqual({ accepted: 2, duplicates: 1, unpriced: 0 });
  });

  it('stores unknown models with their tokens, flagged unpriced, never at zero cost silently', async () => {
    const store = new MemoryUsageStore();
    expect(await ingestUsage(store, events(['u1', 'u2'], { 'gen_ai.request.model': 'llama-3.1-8b-instruct' }), { now })).toEqual({
      accepted: 2,
      duplicates: 0,
      unpriced: 2,
    });
    expect(store.claims.get('u1')!.event).toMatchObject({ cost: null, pricedAs: null, tokens: { input: 1000 } });
    expect(store.total()).toMatchObject({ requests: 2, unpricedRequests: 2, inputTokens: 2000, unpricedInputTokens: 2000, cost: 0n });
  });

  it('completes a batch that failed after some rollup writes, without counting the written part twice', async () => {
    const store = new MemoryUsageStore();
    const batch = events(Array.from({ length: 40 }, (_, i) => `h-${i}`)); // 40 events over 14 minutes
    let writes = 0;
    const failing: UsageStore = Object.assign(Object.create(store), {
      applyRollups: async (owner: string, rollups: readonly UsageMinute[]) => {
        const done = await store.applyRollups(owner, rollups.slice(0, 5));
        writes += done.length;
        throw new Error('connection reset after 5 rollup writes');
      },
    });
    await expect(ingestUsage(failing, batch, { now })).rejects.toThrow('connection reset');
    expect(writes).toBe(5);
    expect(store.total().requests).toBeLessThan(40);
    expect(await ingestUsage(store, batch, { now })).toEqual({ accepted: 40, duplicates: 0, unpriced: 0 });
    expect(store.total().requests).toBe(40);
    expect(formatDecimal(store.total().cost)).toBe('0.14');
  });

  it('keeps the cost computed at the first attempt when prices change before the retry', async () => {
    const store = new MemoryUsageStore();
    const batch = events(['p1', 'p2']);
    const failing: UsageStore = Object.assign(Object.create(store), {
      applyRollups: async () => {
        throw new Error('lost before any rollup');
      },
    });
    await expect(ingestUsage(failing, batch, { now })).rejects.toThrow();
    store.prices = [{ model: 'gpt-4o', input: 1n, output: 1n, source: 'custom' }];
    await ingestUsage(store, batch, { now });
    expect(formatDecimal(store.total().cost)).toBe('0.007');
  });

  it('derives one owner per batch content and batch id', () => {
    const a = events(['a']);
    expect(usageBatchOwner(undefined, a)).toBe(usageBatchOwner(undefined, events(['a'])));
    expect(usageBatchOwner('x', a)).not.toBe(usageBatchOwner(undefined, a));
    expect(usageBatchOwner(undefined, a)).not.toBe(usageBatchOwner(undefined, events(['a'], { 'ledger.team': 't' })));
    expect(usageBatchOwner(undefined, a)).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});
