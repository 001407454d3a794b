import { describe, expect, it } from 'vitest';
import { unitEconomicsRow } from '../../../test/support/digest.js';
import { parseDecimal } from '../core/money.js';
import type { UnitEconomicsRow } from './unit-economics-row.js';
import { logMean, unitCostVariance } from './variance.js';

/** A pool's day: GPU cost over paid and effective GPU-hours, tokens served, with the rows' own unit costs. */
function day(start: string, o: { cost: number; api?: number; paid: number; effective: number; tokens: number }): UnitEconomicsRow {
  const api = o.api ?? 0;
  return unitEconomicsRow({
    scopeKind: 'pool',
    scope: 'inference-a',
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
});
