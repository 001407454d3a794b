import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { unitEconomicsRow } from '../support/digest.js';
import { useTestLedger } from '../support/ledger.js';

/**
 * `GET /v1/unit-economics/variance` over stored rows: pool inference-a went from $4.00 to $3.75 per effective
 * GPU-hour (192 → 240 of cost, 48 → 64 of 96 paid GPU-hours effective) and from $4 to $2.50 per 1M tokens.
 */
const { api } = useTestLedger();

beforeAll(async () => {
  const row = (start: string, cost: string, effective: number, tokens: number, perHour: string, perMillion: string) =>
    unitEconomicsRow({
      scopeKind: 'pool',
      scope: 'inference-a',
      start,
      cost,
      apiCost: '0',
      paidGpuHours: 96,
      effectiveGpuHours: effective,
      tokens,
      costPerEffectiveGpuHour: perHour,
      costPerMillionTokens: perMillion,
    });
  await ledgerDependencies().economics.putRows([
    row('2026-11-19T00:00:00.000Z', '192', 48, 48e6, '4', '4'),
    row('2026-11-20T00:00:00.000Z', '240', 64, 96e6, '3.75', '2.5'),
  ]);
});

describe('GET /v1/unit-economics/variance', () => {
  it('splits the change into price, utilization and efficiency that add up to it', async () => {
    const r = await api('GET', '/v1/unit-economics/variance?scopeKind=pool&scope=inference-a&date=2026-11-20');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ scopeKind: 'pool', scope: 'inference-a', previousStart: '2026-11-19T00:00:00.000Z', method: 'LMDI-I' });
    const [perHour, perMillion] = r.body.metrics;
    expect(perHour).toMatchObject({ metric: 'costPerEffectiveGpuHour', change: '-0.25', changePercent: -6.3 });
    expect(perHour.parts.map((p: { factor: string }) => p.factor)).toEqual(['utilization', 'price']);
    // 4 → 2.5: price +25%, utilization −25% (paid per effective 2 → 1.5), efficiency −50% (effective per 1M tokens 1 → 0.667)
    expect(perMillion).toMatchObject({ metric: 'costPerMillionTokens', change: '-1.5', changePercent: -37.5 });
    expect(perMillion.parts.map((p: { factor: string }) => p.factor).sort()).toEqual(['efficiency', 'price', 'utilization']);
    const total = perMillion.parts.reduce((s: number, p: { amount: string }) => s + Number(p.amount), 0);
    expect(total).toBeCloseTo(-1.5, 6);
    expect(perHour.summary).toMatch(/^\$\/effective GPU-hour -6\.3%: -\d+\.\d% utilization, \+\d+\.\d% price$/);
  });

  it('answers 404 naming the day without a row, and 400 naming a bad field', async () => {
    const missing = await api('GET', '/v1/unit-economics/variance?scopeKind=pool&scope=inference-a&date=2026-11-19');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe('date: no pool inference-a row on the day before 2026-11-19');
    const bad = await api('GET', '/v1/unit-economics/variance?scopeKind=galaxy&scope=x&date=2026-11-20');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('scopeKind');
  });
});
