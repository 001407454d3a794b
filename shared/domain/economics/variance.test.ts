import { describe, expect, it } from 'vitest';
import { unitEconomicsRow } from '../../../test/support/digest.js';
import { parseDecimal } from '../core/money.js';
import type { UnitEconomicsRow } from './unit-economics-row.js';
import { logMean, unitCostVariance } from './variance.js';

/** A pool's day: GPU cost over paid and effective GPU-hours, tokens served, with the rows' own unit costs. */
function day(
  start: string,
  o: { cost: number; api?: number; paid: number; effective: number; tokens: number; scopeKind?: 'pool' | 'fleet'; scope?: string },
): UnitEconomicsRow {
  const api = o.api ?? 0;
  return unitEconomicsRow({
    scopeKind: o.scopeKind ?? 'pool',
    scope: o.scope ?? 'inference-a',
    start,
    cost: String(o.cost),
    apiCost: String(api),
    paidGpuHours: o.paid,
    effectiveGpuHours: o.effective,
    tokens: o.tokens,
    costPerEffectiveGpuHour: o.effective > 0 ? ((o.cost - api) / o.effective).toFixed(6) : null,
    costPerMillionTokens: o.tokens > 0 ? ((o.cost / o.tokens) * 1e6).toFixed(6) : null,
  });
}

const sum = (parts: { amount: string }[]) => parts.reduce((s, p) => s + parseDecimal(p.amount), 0n);
const D0 = '2026-11-19T00:00:00.000Z';
const D1 = '2026-11-20T00:00:00.000Z';

describe('unit-cost variance (LMDI)', () => {
  it('the price alone moves: $4 → $6 per effective GPU-hour is all price', () => {
    // 192 / 48 = 4 → 288 / 48 = 6; paid per effective 2 both days
    const report = unitCostVariance(
      day(D0, { cost: 192, paid: 96, effective: 48, tokens: 48e6 }),
      day(D1, { cost: 288, paid: 96, effective: 48, tokens: 48e6 }),
    );
    const perHour = report.metrics[0]!;
    expect(perHour).toMatchObject({ change: '2', changePercent: 50, parts: [{ factor: 'price', amount: '2', percent: 50 }] });
    expect(perHour.summary).toBe('$/effective GPU-hour +50.0%: +50.0% price');
    expect(report.method).toBe('LMDI-I');
  });

  it('utilization alone moves: 48 → 64 effective of 96 paid takes $4 to $3', () => {
    const report = unitCostVariance(
      day(D0, { cost: 192, paid: 96, effective: 48, tokens: 48e6 }),
      day(D1, { cost: 192, paid: 96, effective: 64, tokens: 48e6 }),
    );
    expect(report.metrics[0]).toMatchObject({ change: '-1', parts: [{ factor: 'utilization', amount: '-1', percent: -25 }] });
  });

  it('price and utilization together: the parts are the log-mean weights and add up to the change exactly', () => {
    // $4 → 240 / 64 = $3.75. L(3.75, 4) = −0.25 / ln(0.9375) = 3.873651…;
    // price: L × ln(2.5 / 2) = +0.864383; utilization: L × ln(1.5 / 2) = −1.114383; together −0.25.
    const report = unitCostVariance(
      day(D0, { cost: 192, paid: 96, effective: 48, tokens: 48e6 }),
      day(D1, { cost: 240, paid: 96, effective: 64, tokens: 48e6 }),
    );
    const perHour = report.metrics[0]!;
    expect(perHour.change).toBe('-0.25');
    const L = -0.25 / Math.log(3.75 / 4);
    expect(logMean(3.75, 4)).toBeCloseTo(L, 12);
    expect(Number(perHour.parts.find((p) => p.factor === 'price')!.amount)).toBeCloseTo(L * Math.log(1.25), 5);
    expect(Number(perHour.parts.find((p) => p.factor === 'utilization')!.amount)).toBeCloseTo(L * Math.log(0.75), 5);
    expect(sum(perHour.parts)).toBe(parseDecimal('-0.25'));
    expect(perHour.parts.map((p) => p.factor)).toEqual(['utilization', 'price']); // largest first
  });

  it('per 1M tokens: twice the tokens per effective GPU-hour halves the cost, all efficiency; priced API usage is its own part', () => {
    const report = unitCostVariance(
      day(D0, { cost: 192, paid: 96, effective: 48, tokens: 48e6 }),
      day(D1, { cost: 192, paid: 96, effective: 48, tokens: 96e6 }),
    );
    expect(report.metrics[1]).toMatchObject({ change: '-2', parts: [{ factor: 'efficiency', amount: '-2', percent: -50 }] });
    // API usage alone: $10 over 10M tokens → $20 over 10M tokens: +$1 per 1M, all api
    const api = unitCostVariance(
      day(D0, { cost: 10, api: 10, paid: 0, effective: 0, tokens: 10e6 }),
      day(D1, { cost: 20, api: 20, paid: 0, effective: 0, tokens: 10e6 }),
    );
    expect(api.metrics[1]).toMatchObject({ change: '1', parts: [{ factor: 'api', amount: '1', percent: 100 }] });
    expect(api.metrics[0]).toMatchObject({ change: null, parts: [], reason: '$/effective GPU-hour: no value in the previous period' });
  });

  it('all factors at once still add up to the change of the rows, to the sixth place', () => {
    const prev = day(D0, { cost: 1320.48, api: 50, paid: 192, effective: 76.8, tokens: 10e6 });
    const cur = day(D1, { cost: 1518.55, api: 75.5, paid: 180, effective: 99, tokens: 14.2e6 });
    for (const m of unitCostVariance(prev, cur).metrics) expect(sum(m.parts)).toBe(parseDecimal(m.change!));
  });

  it('GPU cost: half again the work at a dearer paid GPU-hour on the same GPUs is +$96 volume, +$96 price, −$96 utilization', () => {
    // 192 → 288 on 96 paid GPU-hours, effective 48 → 72: volume ×1.5, price 2 → 3 (×1.5), paid per effective 2 → 4/3
    // (×2/3). Each ln is ±ln 1.5 and L(288, 192) = 96 / ln 1.5, so each part is ±96.
    const report = unitCostVariance(
      day(D0, { cost: 192, paid: 96, effective: 48, tokens: 48e6 }),
      day(D1, { cost: 288, paid: 96, effective: 72, tokens: 48e6 }),
    );
    const cost = report.metrics.find((m) => m.metric === 'gpuCost')!;
    expect(cost).toMatchObject({ previous: '192', current: '288', change: '96', changePercent: 50 });
    expect(Object.fromEntries(cost.parts.map((p) => [p.factor, [p.amount, p.percent]]))).toEqual({
      volume: ['96', 50],
      price: ['96', 50],
      utilization: ['-96', -50],
    });
    expect(sum(cost.parts)).toBe(parseDecimal('96'));
  });

  it('the fleet split by pool: work moving to the cheaper pool is mix, not a fall in price', () => {
    // Pool A: $100 on 20 paid, 10 effective ($5 a paid hour, 2 paid per effective) → $50 on 10 paid, 5 effective.
    // Pool B: $40 on 20 paid, 10 effective ($2, 2) → $60 on 30 paid, 15 effective. Prices and utilization unchanged.
    // Fleet: $140 / 20 effective = $7 → $110 / 20 = $5.50. A's term 100/20 = 5 → 50/20 = 2.5, B's 2 → 3: −1.5, all mix.
    const pools0 = [
      day(D0, { scope: 'a', cost: 100, paid: 20, effective: 10, tokens: 0 }),
      day(D0, { scope: 'b', cost: 40, paid: 20, effective: 10, tokens: 0 }),
    ];
    const pools1 = [
      day(D1, { scope: 'a', cost: 50, paid: 10, effective: 5, tokens: 0 }),
      day(D1, { scope: 'b', cost: 60, paid: 30, effective: 15, tokens: 0 }),
    ];
    const fleet0 = day(D0, { scopeKind: 'fleet', scope: '*', cost: 140, paid: 40, effective: 20, tokens: 0 });
    const fleet1 = day(D1, { scopeKind: 'fleet', scope: '*', cost: 110, paid: 40, effective: 20, tokens: 0 });
    const split = unitCostVariance(fleet0, fleet1, { previous: pools0, current: pools1 }).metrics[0]!;
    expect(split).toMatchObject({ change: '-1.5', changePercent: -21.4, parts: [{ factor: 'mix', amount: '-1.5', percent: -21.4 }] });
    expect(split.summary).toBe('$/effective GPU-hour -21.4%: -21.4% mix');
    // Without the pools the same change reads as price: $3.50 → $2.75 per paid GPU-hour.
    expect(unitCostVariance(fleet0, fleet1).metrics[0]!.parts).toEqual([{ factor: 'price', amount: '-1.5', percent: -21.4 }]);
  });

  it("the fleet split by pool: each pool's own price and utilization, a new pool as mix, the parts adding up exactly", () => {
    // A's price 5 → 6 alone (C 100 → 120 on 20 paid, 10 effective); B unchanged ($40, 20, 10); C new: $30, 10 paid, 10 effective.
    // Fleet $140 / 20 = $7 → $190 / 30 = $6.333333. A: 5 → 4 (120/30) with shares 0.5 → 1/3; B: 2 → 1.333333; C: 0 → 1.
    const pools0 = [
      day(D0, { scope: 'a', cost: 100, paid: 20, effective: 10, tokens: 0 }),
      day(D0, { scope: 'b', cost: 40, paid: 20, effective: 10, tokens: 0 }),
    ];
    const pools1 = [
      day(D1, { scope: 'a', cost: 120, paid: 20, effective: 10, tokens: 0 }),
      day(D1, { scope: 'b', cost: 40, paid: 20, effective: 10, tokens: 0 }),
      day(D1, { scope: 'c', cost: 30, paid: 10, effective: 10, tokens: 0 }),
    ];
    const fleet0 = day(D0, { scopeKind: 'fleet', scope: '*', cost: 140, paid: 40, effective: 20, tokens: 0 });
    const fleet1 = day(D1, { scopeKind: 'fleet', scope: '*', cost: 190, paid: 50, effective: 30, tokens: 0 });
    const split = unitCostVariance(fleet0, fleet1, { previous: pools0, current: pools1 }).metrics[0]!;
    const L = (x: number, y: number) => (x - y) / Math.log(x / y);
    // price: only A's, L(4, 5) × ln(6/5); mix: A and B's shares 1/2 → 1/3 plus C entering (+1).
    const price = L(4, 5) * Math.log(1.2);
    const mix = L(4, 5) * Math.log(2 / 3) + L(4 / 3, 2) * Math.log(2 / 3) + 1;
    const part = (f: string) => Number(split.parts.find((p) => p.factor === f)?.amount ?? 0);
    expect(part('price')).toBeCloseTo(price, 5);
    expect(part('mix')).toBeCloseTo(mix, 5);
    expect(part('utilization')).toBe(0);
    expect(split.change).toBe('-0.666667');
    expect(sum(split.parts)).toBe(parseDecimal('-0.666667'));
  });

  it('pools that do not add up to the fleet are not used: the split falls back to price and utilization', () => {
    const fleet0 = day(D0, { scopeKind: 'fleet', scope: '*', cost: 140, paid: 40, effective: 20, tokens: 0 });
    const fleet1 = day(D1, { scopeKind: 'fleet', scope: '*', cost: 110, paid: 40, effective: 20, tokens: 0 });
    const pools = [day(D0, { scope: 'a', cost: 100, paid: 20, effective: 10, tokens: 0 })];
    const split = unitCostVariance(fleet0, fleet1, { previous: pools, current: pools }).metrics[0]!;
    expect(split.parts).toEqual([{ factor: 'price', amount: '-1.5', percent: -21.4 }]);
  });
});
