import { describe, expect, it } from 'vitest';
import { focusRecord } from '../../../test/support/focus.js';
import type { HostHour } from '../measurements/host-hours.js';
import { parseDecimal } from '../core/money.js';
import { UnitEconomicsFold } from './unit-economics.js';
import { emptyTotals, type UsageMinute } from '../usage/usage-rollup.js';

const DAY = Date.parse('2026-11-02T00:00:00Z');
const HOUR = 3_600_000;

/** 8 H100s for one hour at SM active 0.4, 700 W each, serving 10M tokens and 50,000 requests a day. */
function hostHour(hour: number, overrides: Partial<HostHour> = {}): HostHour {
  return {
    hostId: 'gpu-host-1',
    hour,
    pool: 'inference-a',
    instanceId: 'i-0a1b2c3d4e5f60001',
    instanceType: 'p5.48xlarge',
    provider: 'aws',
    region: 'us-east-1',
    gpus: Array.from({ length: 8 }, (_, i) => ({
      uuid: `GPU-${i}`,
      model: 'H100',
      observedGpuHours: 1,
      effectiveGpuHours: 0.4,
      smActive: 0.4,
    })),
    observedGpuHours: 8,
    effectiveGpuHours: 3.2,
    energyKwh: 8 * 0.7,
    inference: { 'llama-3-70b': { tokens: 10_000_000 / 24, requests: 50_000 / 24 } },
    ...overrides,
  };
}

function usageMinute(minute: number, dims: UsageMinute['dims'], tokens: number, requests: number, cost: string): UsageMinute {
  return { minute, dims, totals: { ...emptyTotals(), inputTokens: tokens, requests, cost: parseDecimal(cost) } };
}

function scenario() {
  const fold = new UnitEconomicsFold({ from: DAY, to: DAY + 24 * HOUR, hours: { from: DAY, to: DAY + 24 * HOUR } }, { teamTag: 'team' });
  for (let h = 0; h < 24; h++) fold.addHostHour(hostHour(DAY + h * HOUR));
  fold.addCost(
    focusRecord({
      ResourceId: 'i-0a1b2c3d4e5f60001',
      EffectiveCost: '1320.48',
      BilledCost: '1320.48',
      ConsumedQuantity: '24',
      ConsumedUnit: 'Hrs',
      x_GpuCount: 8,
      Tags: { team: 'search' },
    }),
  );
  fold.addCost(
    focusRecord({ ServiceName: 'Amazon Simple Storage Service', ServiceCategory: 'Storage', EffectiveCost: '10', BilledCost: '10' }),
  );
  fold.addUsage(usageMinute(DAY + 5 * HOUR, { model: 'claude-sonnet-4', team: 'search', workflow: 'triage' }, 1_000_000, 1000, '5'));
  return fold.result();
}

describe('unit economics', () => {
  it('8 GPUs for 24 h at $1,320.48 with SM active 0.4: idle cost and cost per effective GPU-hour to the cent', () => {
    const { rows } = scenario();
    const host = rows.find((r) => r.period === 'day' && r.scopeKind === 'host' && r.scope === 'gpu-host-1')!;
    expect(host.paidGpuHours).toBe(192);
    expect(host.effectiveGpuHours).toBeCloseTo(76.8, 9);
    expect(host.effectiveUtilization).toBeCloseTo(0.4, 9);
    expect(host.cost).toBe('1320.48');
    // 1320.48 × (1 − 0.4) = 792.288; 1320.48 / 76.8 = 17.19375
    expect(host.idleCost).toBe('792.288');
    expect(host.costPerEffectiveGpuHour).toBe('17.19375');
    // 10M tokens, 50,000 requests: $132.048 per million tokens, $26.4096 per 1,000 requests
    expect(host.tokens).toBeCloseTo(10_000_000, 3);
    expect(host.costPerMillionTokens).toBe('132.048');
    expect(host.costPer1kRequests).toBe('26.4096');
    // 8 × 0.7 kW × 24 h = 134.4 kWh; per million tokens 13.44
    expect(host.energyKwh).toBeCloseTo(134.4, 6);
    expect(host.kwhPerMillionTokens).toBeCloseTo(13.44, 6);
  });

  it('shows what cannot be joined as unallocated and keeps it in the fleet total', () => {
    const { rows, allocation } = scenario();
    const unallocated = rows.filter((r) => r.period === 'day' && r.scopeKind === 'unallocated');
    expect(unallocated.map((r) => [r.scope, r.cost])).toEqual([['AWS Amazon Simple Storage Service', '10']]);
    const fleet = rows.find((r) => r.period === 'day' && r.scopeKind === 'fleet')!;
    expect(fleet.cost).toBe('1335.48'); // 1320.48 + 10 + 5 of API usage
    expect(fleet.apiCost).toBe('5');
    expect(allocation).toEqual({ joinedRecords: 1, unallocatedRecords: 1, allocatedCost: '1320.48', unallocatedCost: '10' });
  });

  it('team rows join the tagged host and the team API usage; API models price by their own usage', () => {
    const { rows } = scenario();
    const team = rows.find((r) => r.period === 'day' && r.scopeKind === 'team' && r.scope === 'search')!;
    expect(team.cost).toBe('1325.48');
    expect(team.apiCost).toBe('5');
    expect(team.paidGpuHours).toBe(192);
    // (1320.48 + 5) / 11M tokens × 1M = 120.498181...
    expect(team.costPerMillionTokens).toBe('120.498182');
    const api = rows.find((r) => r.period === 'day' && r.scopeKind === 'model' && r.scope === 'claude-sonnet-4')!;
    expect(api.costPerMillionTokens).toBe('5');
    expect(api.costPer1kRequests).toBe('5');
    expect(api.paidGpuHours).toBe(0);
    const selfHosted = rows.find((r) => r.period === 'day' && r.scopeKind === 'model' && r.scope === 'llama-3-70b')!;
    expect(selfHosted.cost).toBe('1320.48');
    expect(selfHosted.costPerMillionTokens).toBe('132.048');
    const workflow = rows.find((r) => r.period === 'day' && r.scopeKind === 'workflow' && r.scope === 'triage')!;
    expect(workflow.cost).toBe('5');
  });

  it('hour rows share the day by observed hours and sum back to the day', () => {
    const { rows } = scenario();
    const hours = rows.filter((r) => r.period === 'hour' && r.scopeKind === 'host');
    expect(hours).toHaveLength(24);
    expect(hours[0]!.cost).toBe('55.02'); // 1320.48 / 24
    expect(hours[0]!.paidGpuHours).toBe(8);
    expect(hours[0]!.idleCost).toBe('33.012');
    const sum = hours.reduce((s, r) => s + parseDecimal(r.cost), 0n);
    expect(sum).toBe(parseDecimal('1320.48'));
  });

  it('a host billed while its agent was down is paid for the billed hours; one never billed costs nothing', () => {
    const fold = new UnitEconomicsFold({ from: DAY, to: DAY + 24 * HOUR }, { teamTag: 'team' });
    for (let h = 0; h < 12; h++) fold.addHostHour(hostHour(DAY + h * HOUR));
    fold.addHostHour(hostHour(DAY, { hostId: 'lab-box', instanceId: null, pool: 'lab' }));
    fold.addCost(
      focusRecord({
        ResourceId: 'i-0a1b2c3d4e5f60001',
        EffectiveCost: '1320.48',
        ConsumedQuantity: '24',
        ConsumedUnit: 'Hrs',
        x_GpuCount: 8,
      }),
    );
    const { rows, pools } = fold.result();
    const host = rows.find((r) => r.scopeKind === 'host' && r.scope === 'gpu-host-1')!;
    expect(host.paidGpuHours).toBe(192);
    expect(host.effectiveGpuHours).toBeCloseTo(38.4, 9);
    expect(host.idleCost).toBe('1056.384'); // 1320.48 × (1 − 38.4/192)
    const lab = rows.find((r) => r.scopeKind === 'host' && r.scope === 'lab-box')!;
    expect(lab.cost).toBe('0');
    expect(lab.paidGpuHours).toBe(8);
    const pool = pools.find((p) => p.pool === 'inference-a')!;
    expect(pool).toMatchObject({
      provider: 'aws',
      region: 'us-east-1',
      gpuModel: 'H100',
      pricingCategory: 'Standard',
      hosts: 1,
      gpus: 8,
      paidGpuHours: 192,
      cost: '1320.48',
      costPerPaidGpuHour: '6.8775',
    });
    expect(pool.dailyEffectiveUtilization).toEqual([0.2]);
  });

  it('a denominator too small to read to 9 places gives no ratio instead of a division by zero', () => {
    const fold = new UnitEconomicsFold({ from: DAY, to: DAY + 24 * HOUR }, { teamTag: 'team' });
    const gpu = { uuid: 'GPU-0', model: 'H100', observedGpuHours: 1, effectiveGpuHours: 2e-10, smActive: 2e-10 };
    fold.addHostHour(hostHour(DAY, { gpus: [gpu], observedGpuHours: 1, effectiveGpuHours: 2e-10, inference: {} }));
    fold.addCost(focusRecord({ ResourceId: 'i-0a1b2c3d4e5f60001', EffectiveCost: '10' }));
    const host = fold.result().rows.find((r) => r.period === 'day' && r.scopeKind === 'host')!;
    expect(host.effectiveGpuHours).toBe(0);
    expect(host.costPerEffectiveGpuHour).toBeNull();
    expect(host.cost).toBe('10');
  });

  it('a resource no host joins gives each team row the cost of the records tagged with that team', () => {
    const fold = new UnitEconomicsFold({ from: DAY, to: DAY + 24 * HOUR }, { teamTag: 'team' });
    fold.addCost(focusRecord({ ResourceId: 'vol-0123', EffectiveCost: '30', Tags: { team: 'search' } }));
    fold.addCost(focusRecord({ ResourceId: 'vol-0123', EffectiveCost: '12', Tags: { team: 'ranking' } }));
    const teams = fold.result().rows.filter((r) => r.period === 'day' && r.scopeKind === 'team');
    expect(teams.map((r) => [r.scope, r.cost])).toEqual([
      ['search', '30'],
      ['ranking', '12'],
    ]);
  });

  it('joins Azure and Google Cloud resource ids on their last segment', () => {
    const fold = new UnitEconomicsFold({ from: DAY, to: DAY + 24 * HOUR }, { teamTag: 'team' });
    fold.addHostHour(hostHour(DAY, { hostId: 'az-1', instanceId: 'gpu-vm-01' }));
    fold.addCost(
      focusRecord({
        ResourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/GPU-VM-01',
        EffectiveCost: '24',
      }),
    );
    const { rows } = fold.result();
    expect(rows.find((r) => r.scopeKind === 'host' && r.scope === 'az-1')!.cost).toBe('24');
    expect(rows.some((r) => r.scopeKind === 'unallocated')).toBe(false);
  });
});
