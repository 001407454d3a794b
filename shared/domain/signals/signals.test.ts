import { describe, expect, it } from 'vitest';
import { spotPlacementScoreObservations, gpuQuotaObservations, type CapacityObservation } from '../market/capacity.js';
import type { GpuObservation, PoolObservation } from '../economics/fleet-observations.js';
import { divideDecimalByInteger, formatDecimal, parseDecimal } from '../core/money.js';
import type { GpuPriceCategory, GpuPricePoint } from '../market/price-points.js';
import { computeSignals, defaultSignalSettings, interruptionRate, percentile, signalId, type SignalInputs } from './signals.js';

const NOW = Date.parse('2026-11-21T00:00:00.000Z');
const settings = defaultSignalSettings; // move margin 15%, idle 60%, renegotiate 10%

/** A 30-day (720 h) on-demand pool of 2 p5.48xlarge (16 H100) in aws us-east-1, paying $6.88 per GPU-hour. */
function pool(overrides: Partial<PoolObservation> = {}): PoolObservation {
  return {
    pool: 'train-a',
    provider: 'aws',
    region: 'us-east-1',
    instanceType: 'p5.48xlarge',
    gpuModel: 'H100',
    pricingCategory: 'Standard',
    team: 'research',
    hosts: 2,
    gpus: 16,
    windowStart: '2026-10-22T00:00:00.000Z',
    windowEnd: '2026-11-21T00:00:00.000Z',
    windowHours: 720,
    paidGpuHours: 11_520,
    effectiveGpuHours: 8_640,
    cost: '79257.6',
    costPerPaidGpuHour: '6.88',
    dailyEffectiveUtilization: Array.from({ length: 30 }, () => 0.75),
    ...overrides,
  };
}

function point(p: {
  provider?: GpuPricePoint['provider'];
  region?: string;
  zone?: string | null;
  instanceType?: string | null;
  sku?: string | null;
  gpuModel?: GpuPricePoint['gpuModel'];
  gpuCount?: number;
  category: GpuPriceCategory;
  term?: GpuPricePoint['term'];
  variant?: string | null;
  pricePerHour: string;
  observedAt?: string;
}): GpuPricePoint {
  const full = {
    provider: p.provider ?? 'aws',
    region: p.region ?? 'us-east-1',
    zone: p.zone ?? null,
    instanceType: p.instanceType === undefined ? 'p5.48xlarge' : p.instanceType,
    sku: p.sku ?? null,
    gpuModel: p.gpuModel ?? 'H100',
    gpuCount: p.gpuCount ?? 8,
    pricingCategory: p.category,
    term: p.term ?? null,
    variant: p.variant === undefined ? (p.category === 'reserved' ? 'standard/No Upfront' : 'Linux') : p.variant,
    pricePerHour: p.pricePerHour,
    currency: 'USD',
    observedAt: p.observedAt ?? '2026-11-01T00:00:00.000Z',
    source: 'test',
  };
  const key = [
    full.provider,
    full.region,
    full.zone ?? '-',
    full.instanceType ?? full.sku ?? '-',
    full.pricingCategory,
    full.term ?? '-',
    full.variant ?? '-',
    full.observedAt,
  ].join('#');
  return { ...full, key, pricePerGpuHour: formatDecimal(divideDecimalByInteger(parseDecimal(p.pricePerHour), full.gpuCount)) };
}

function inputs(overrides: Partial<SignalInputs>): SignalInputs {
  return { pools: [], gpus: [], latestPrices: [], priceHistory: [], capacity: [], nowMs: NOW, ...overrides };
}

const ofType = (type: string, list: ReturnType<typeof computeSignals>) => list.filter((s) => s.type === type);

// p5.48xlarge in us-east-1: $55.04/h on-demand = $6.88 per GPU-hour; 1-year committed $34.40/h = $4.30 per GPU-hour.
const usEast1OnDemand = point({ category: 'on-demand', pricePerHour: '55.04' });
const usEast1Committed = point({ category: 'reserved', term: '1yr', pricePerHour: '34.4' });

describe('commit', () => {
  it('is raised when sustained utilization is at or above the break-even of the actual prices', () => {
    // 25th percentile of 15 days at 0.70 and 15 at 0.80 = 0.70; break-even 4.30 / 6.88 = 0.625.
    const daily = [...Array.from({ length: 15 }, () => 0.8), ...Array.from({ length: 15 }, () => 0.7)];
    const [signal, ...rest] = ofType(
      'commit',
      computeSignals(
        inputs({ pools: [pool({ dailyEffectiveUtilization: daily })], latestPrices: [usEast1OnDemand, usEast1Committed] }),
        settings,
      ),
    );
    expect(rest).toEqual([]);
    // Spend 79,257.60 × 730/720 = 80,358.40 a month; committed 4.30 × 11,680 GPU-hours = 50,224.00; saved 30,134.40.
    expect(signal).toMatchObject({
      signalId: signalId('commit', 'pool:train-a'),
      monthlyImpact: '30134.40',
      currency: 'USD',
      confidence: 1,
      team: 'research',
      subject: 'pool train-a (H100, aws us-east-1, on-demand)',
    });
    expect(signal!.evidence).toMatchObject({
      sustainedEffectiveUtilization: 0.7,
      daysObserved: 30,
      onDemandPerGpuHour: '6.88',
      committedPerGpuHour: '4.3',
      breakEvenUtilization: 0.625,
      pricesRegion: 'us-east-1',
      pricesFromOtherRegion: false,
      monthlySpend: '80358.40',
      monthlyCommittedCost: '50224.00',
      gpusToCommit: 16,
    });
    expect(signal!.summary).toContain('70.0%');
    expect(signal!.summary).toContain('62.5% break-even');
    expect(signal!.summary).toContain('$30,134.40');
  });

  it('is not raised just under the break-even, nor for a committed pool', () => {
    const daily = [...Array.from({ length: 15 }, () => 0.8), ...Array.from({ length: 15 }, () => 0.62)];
    const prices = { latestPrices: [usEast1OnDemand, usEast1Committed] };
    expect(ofType('commit', computeSignals(inputs({ pools: [pool({ dailyEffectiveUtilization: daily })], ...prices }), settings))).toEqual(
      [],
    );
    expect(
      ofType(
        'commit',
        computeSignals(
          inputs({ pools: [pool({ pricingCategory: 'Committed', costPerPaidGpuHour: '4.3', cost: '49536' })], ...prices }),
          settings,
        ),
      ),
    ).toEqual([]);
  });

  it('falls back to the provider’s other regions and says so', () => {
    const westOnDemand = point({ region: 'us-west-2', category: 'on-demand', pricePerHour: '55.04' });
    const westCommitted = point({ region: 'us-west-2', category: 'reserved', term: '1yr', pricePerHour: '34.4' });
    const [signal] = ofType(
      'commit',
      computeSignals(
        inputs({
          pools: [pool({ region: 'us-east-2' })],
          latestPrices: [
            westOnDemand,
            westCommitted,
            point({
              provider: 'azure',
              region: 'eastus',
              instanceType: 'Standard_ND96isr_H100_v5',
              category: 'reserved',
              term: '1yr',
              pricePerHour: '10',
            }),
          ],
        }),
        settings,
      ),
    );
    expect(signal!.evidence).toMatchObject({ pricesRegion: 'us-west-2', pricesFromOtherRegion: true, breakEvenUtilization: 0.625 });
    expect(signal!.monthlyImpact).toBe('30134.40');
    expect(signal!.confidence).toBe(0.8); // 1 × 1 × 0.8 for another region's prices
  });
});

describe('move', () => {
  // Zones of us-west-2 spot: $3.00, $3.20, $3.30 per GPU-hour → median $3.20; best zone placement score 9.
  const westSpot = ['us-west-2a:24', 'us-west-2b:25.6', 'us-west-2c:26.4'].map((z) => {
    const [zone, price] = z.split(':');
    return point({
      region: 'us-west-2',
      zone,
      category: 'spot',
      variant: 'Linux/UNIX',
      pricePerHour: price!,
      observedAt: '2026-11-20T23:00:00.000Z',
    });
  });
  const scores = (region: string, values: number[]): CapacityObservation[] =>
    spotPlacementScoreObservations(
      values.map((Score, i) => ({ Region: region, AvailabilityZoneId: `${region}-az${i + 1}`, Score })),
      { instanceTypes: ['p5.48xlarge', 'p5.4xlarge'], targetCapacity: 1, observedAt: '2026-11-20T23:30:00.000Z' },
    );
  // Not enough: Azure on-demand $5.90 per GPU-hour is 14.2% below $6.88 (margin 15%: at most $5.848).
  const azureOnDemand = point({
    provider: 'azure',
    region: 'eastus',
    instanceType: 'Standard_ND96isr_H100_v5',
    category: 'on-demand',
    pricePerHour: '47.2',
  });
  // Cheap spot where a placement score of 3 says it will not be had.
  const eastTwoSpot = point({ region: 'us-east-2', zone: 'us-east-2a', category: 'spot', variant: 'Linux/UNIX', pricePerHour: '16' });

  it('is raised for a cheaper region after interruption risk, with capacity', () => {
    const capacity = [...scores('us-west-2', [6, 9]), ...scores('us-east-2', [3])];
    const [signal, ...rest] = ofType(
      'move',
      computeSignals(
        inputs({ pools: [pool()], latestPrices: [usEast1OnDemand, azureOnDemand, eastTwoSpot, ...westSpot], capacity }),
        settings,
      ),
    );
    expect(rest).toEqual([]);
    // Score 9 → 10% interruptions: 3.20 ÷ 0.9 = 3.5555…; (6.88 − 32/9) × 11,680 GPU-hours = 38,829.511… a month.
    expect(signal).toMatchObject({
      signalId: signalId('move', 'pool:train-a'),
      monthlyImpact: '38829.51',
      confidence: 1,
      title: 'Move pool train-a to aws us-west-2 p5.48xlarge spot',
    });
    expect(signal!.evidence).toMatchObject({
      currentPerGpuHour: '6.88',
      currentOfferMarketPerGpuHour: '6.88',
      alternativeListPerGpuHour: '3.2',
      alternativeZones: 3,
      alternativeEffectivePerGpuHour: '3.555555555556',
      placementScore: 9,
      interruptionRate: 0.1,
      capacity: 'fits',
      paidGpuHoursPerMonth: '11680',
    });
    expect(signal!.summary).toContain('10% interruption rate at placement score 9');
  });

  it('is not raised when the alternative is cheaper by less than the margin, or cheaper spot lacks capacity', () => {
    const capacity = scores('us-east-2', [3]);
    const list = computeSignals(
      inputs({ pools: [pool()], latestPrices: [usEast1OnDemand, azureOnDemand, eastTwoSpot], capacity }),
      settings,
    );
    expect(ofType('move', list)).toEqual([]);
    // The same spot offer with a good score is taken: 2.00 ÷ (1 − 10%) = 2.2222…
    const good = computeSignals(
      inputs({ pools: [pool()], latestPrices: [usEast1OnDemand, azureOnDemand, eastTwoSpot], capacity: scores('us-east-2', [9]) }),
      settings,
    );
    expect(ofType('move', good)[0]!.evidence.alternativeEffectivePerGpuHour).toBe('2.222222222222');
  });

  it('assumes placement score 5 where none is known, with lower confidence; a quota that does not fit rules an offer out', () => {
    const azureSpot = point({
      provider: 'azure',
      region: 'eastus',
      instanceType: 'Standard_ND96isr_H100_v5',
      category: 'spot',
      pricePerHour: '16.8',
    });
    const [signal] = ofType('move', computeSignals(inputs({ pools: [pool()], latestPrices: [usEast1OnDemand, azureSpot] }), settings));
    // 2.10 ÷ (1 − 30%) = 3.00; (6.88 − 3.00) × 11,680 = 45,318.40.
    expect(signal).toMatchObject({ monthlyImpact: '45318.40', confidence: 0.6 });
    expect(signal!.evidence).toMatchObject({
      placementScore: null,
      placementScoreAssumed: true,
      interruptionRate: 0.3,
      capacity: 'unknown',
    });

    // An on-demand quota of 192 vCPUs fits one p5.48xlarge; the pool needs two.
    const westOnDemand = point({ region: 'us-west-2', category: 'on-demand', pricePerHour: '40' });
    const quota = gpuQuotaObservations([{ QuotaCode: 'L-417A185B', QuotaName: 'Running On-Demand P instances', Value: 192 }], {
      region: 'us-west-2',
      observedAt: '2026-11-20T23:30:00.000Z',
    });
    expect(
      ofType('move', computeSignals(inputs({ pools: [pool()], latestPrices: [usEast1OnDemand, westOnDemand], capacity: quota }), settings)),
    ).toEqual([]);
  });

  it('halves the confidence of a GPU-only SKU price, which leaves out the machine', () => {
    const gcpOnDemand = point({
      provider: 'gcp',
      region: 'us-central1',
      instanceType: null,
      sku: 'ABCD-1234-EF56',
      gpuCount: 1,
      category: 'on-demand',
      variant: null,
      pricePerHour: '3.0',
    });
    const [signal] = ofType('move', computeSignals(inputs({ pools: [pool()], latestPrices: [usEast1OnDemand, gcpOnDemand] }), settings));
    // (6.88 − 3.00) × 11,680 = 45,318.40; capacity unknown 0.6 × agreement 1 × GPU-only 0.5.
    expect(signal).toMatchObject({ monthlyImpact: '45318.40', confidence: 0.3 });
    expect(signal!.evidence.alternativePriceIsGpuOnly).toBe(true);
    expect(signal!.summary).toContain('GPU price only');
  });

  it('maps placement scores to interruption rates from 5% to 50%', () => {
    expect([10, 9, 5, 1].map(interruptionRate)).toEqual([0.05, 0.1, 0.3, 0.5]);
  });
});

describe('consolidate', () => {
  // 4 hosts × 8 H100, 720 h: 23,040 paid GPU-hours at $2.00 = $46,080.
  const idlePool = (effectiveGpuHours: number) =>
    pool({
      pool: 'serve-b',
      hosts: 4,
      gpus: 32,
      paidGpuHours: 23_040,
      effectiveGpuHours,
      cost: '46080',
      costPerPaidGpuHour: '2',
      dailyEffectiveUtilization: Array.from({ length: 30 }, () => effectiveGpuHours / 23_040),
    });

  it('is raised when most paid GPU-hours are idle and hosts can be released', () => {
    const [signal, ...rest] = ofType('consolidate', computeSignals(inputs({ pools: [idlePool(5_760)] }), settings));
    expect(rest).toEqual([]);
    // 75% idle; 8 effective GPUs ÷ 0.8 = 10 GPUs → 2 hosts of 8; release 2 of 4: 46,080 × 730/720 × 2/4 = 23,360.00.
    expect(signal).toMatchObject({
      signalId: signalId('consolidate', 'pool:serve-b'),
      monthlyImpact: '23360.00',
      confidence: 1,
      title: 'Consolidate pool serve-b: release 2 of 4 hosts',
    });
    expect(signal!.evidence).toMatchObject({
      idleShare: 0.75,
      hostsNeeded: 2,
      hostsReleased: 2,
      costPerHostMonth: '11680.00',
      monthlyIdleCost: '35040.00',
    });
  });

  it('is not raised when the idle share is just under the threshold', () => {
    // 9,239.04 effective of 23,040 paid: 59.9% idle (one host could still go: 12.8 GPUs ÷ 0.8 → 3 hosts).
    expect(ofType('consolidate', computeSignals(inputs({ pools: [idlePool(9_239.04)] }), settings))).toEqual([]);
    expect(
      ofType('consolidate', computeSignals(inputs({ pools: [idlePool(9_239.04)] }), { ...settings, consolidateIdlePercent: 59.9 })),
    ).toHaveLength(1);
  });
});

describe('replace', () => {
  const gpus = (values: number[], metric: 'tokens' | 'sm' = 'tokens'): GpuObservation[] =>
    values.map((value, i) => ({
      pool: 'infer',
      hostId: `host-${Math.floor(i / 4)}`,
      uuid: `GPU-${i}`,
      gpuModel: 'H100',
      smActive: metric === 'sm' ? value : 0.5,
      tokensPerGpuHour: metric === 'tokens' ? value : null,
      paidGpuHours: 720,
      cost: '1800',
    }));
  const inferPool = pool({ pool: 'infer', team: 'serving' });

  it('is raised for a robust outlier, with the dollars it wastes', () => {
    // Median 1,000, MAD 5: floor min(1,000 − 3.5 × 1.4826 × 5, 850) = 850; 700 is below.
    const list = computeSignals(inputs({ pools: [inferPool], gpus: gpus([1000, 1010, 990, 1005, 995, 1000, 1002, 700]) }), settings);
    const [signal, ...rest] = ofType('replace', list);
    expect(rest).toEqual([]);
    // 1,800 × 730/720 = 1,825 a month × (1 − 700/1,000) = 547.50.
    expect(signal).toMatchObject({
      signalId: signalId('replace', 'gpu:infer:GPU-7'),
      monthlyImpact: '547.50',
      confidence: 1,
      team: 'serving',
    });
    expect(signal!.evidence).toMatchObject({
      metric: 'tokensPerGpuHour',
      value: 700,
      groupMedian: 1000,
      groupMad: 5,
      robustScore: -40.47,
      shortfall: 0.3,
      monthlyCost: '1825.00',
    });
  });

  it('is not raised for a GPU 10% slow among noisy GPUs, nor among quiet ones', () => {
    // Median 1,000, MAD 60: floor 1,000 − 311.3 = 688.7; 900 is within.
    expect(
      ofType(
        'replace',
        computeSignals(inputs({ pools: [inferPool], gpus: gpus([1100, 1080, 1040, 1000, 1000, 960, 920, 900]) }), settings),
      ),
    ).toEqual([]);
    // MAD 0, but 10% is under the 15% floor.
    expect(
      ofType(
        'replace',
        computeSignals(inputs({ pools: [inferPool], gpus: gpus([1000, 1000, 1000, 1000, 1000, 1000, 1000, 900]) }), settings),
      ),
    ).toEqual([]);
  });

  it('uses SM active when tokens are not scraped, and needs 4 GPUs', () => {
    const [signal] = ofType('replace', computeSignals(inputs({ pools: [inferPool], gpus: gpus([0.8, 0.8, 0.8, 0.4], 'sm') }), settings));
    // 1,825 × (1 − 0.4/0.8) = 912.50; SM active is a proxy: confidence 0.8.
    expect(signal).toMatchObject({ monthlyImpact: '912.50', confidence: 0.8 });
    expect(signal!.evidence.metric).toBe('smActive');
    expect(ofType('replace', computeSignals(inputs({ pools: [inferPool], gpus: gpus([0.8, 0.8, 0.4], 'sm') }), settings))).toEqual([]);
  });
});

describe('renegotiate', () => {
  // $6.88 per GPU-hour since September; a new price from 2026-11-18, 3 days before the run: 27 of 30 days at the old price.
  const before = point({ category: 'on-demand', pricePerHour: '55.04', observedAt: '2026-09-01T00:00:00.000Z' });
  const changed = (pricePerHour: string) => point({ category: 'on-demand', pricePerHour, observedAt: '2026-11-18T00:00:00.000Z' });

  it('is raised on a rise beyond the threshold against the trailing median', () => {
    const after = changed('60.544'); // $7.568 per GPU-hour: +10%
    const [signal, ...rest] = ofType(
      'renegotiate',
      computeSignals(inputs({ pools: [pool()], priceHistory: [before, after], latestPrices: [after] }), settings),
    );
    expect(rest).toEqual([]);
    // 0.688 × 11,680 GPU-hours a month = 8,035.84.
    expect(signal).toMatchObject({
      signalId: signalId('renegotiate', 'offer:aws#us-east-1#p5.48xlarge#on-demand#-#Linux'),
      monthlyImpact: '8035.84',
      confidence: 1,
      team: 'research',
      title: 'aws us-east-1 p5.48xlarge on-demand price rose 10.0%',
    });
    expect(signal!.evidence).toMatchObject({
      direction: 'rise',
      latestPerGpuHour: '7.568',
      trailingMedianPerGpuHour: '6.88',
      changePercent: 10,
      pools: 'train-a',
      priceChangesInWindow: 1,
      windowCoverage: 1,
    });
    expect(signal!.summary).toMatch(/rose 10\.0% .* Renegotiate/);
  });

  it('is not raised for a 9% move with a 10% threshold', () => {
    const after = changed('59.9936'); // $7.4992: +9%
    expect(
      ofType('renegotiate', computeSignals(inputs({ pools: [pool()], priceHistory: [before, after], latestPrices: [after] }), settings)),
    ).toEqual([]);
  });

  it('says a committed contract is above market after a fall', () => {
    const committedBefore = point({ category: 'reserved', term: '1yr', pricePerHour: '34.4', observedAt: '2026-09-01T00:00:00.000Z' });
    const committedAfter = point({ category: 'reserved', term: '1yr', pricePerHour: '27.52', observedAt: '2026-11-18T00:00:00.000Z' }); // $3.44: −20%
    const committedPool = pool({ pricingCategory: 'Committed', cost: '49536', costPerPaidGpuHour: '4.3' });
    const [signal] = ofType(
      'renegotiate',
      computeSignals(
        inputs({ pools: [committedPool], priceHistory: [committedBefore, committedAfter], latestPrices: [committedAfter] }),
        settings,
      ),
    );
    // 0.86 × 11,680 = 10,044.80 a month above market.
    expect(signal).toMatchObject({ monthlyImpact: '10044.80' });
    expect(signal!.evidence).toMatchObject({ direction: 'fall', changePercent: -20 });
    expect(signal!.summary).toContain('above market');
  });
});

describe('computeSignals', () => {
  it('keeps ids stable while the numbers change, and orders by impact', () => {
    const one = computeSignals(
      inputs({
        pools: [pool({ dailyEffectiveUtilization: Array.from({ length: 30 }, () => 0.9) })],
        latestPrices: [usEast1OnDemand, usEast1Committed],
      }),
      settings,
    );
    const two = computeSignals(
      inputs({
        pools: [pool({ cost: '80000', dailyEffectiveUtilization: Array.from({ length: 30 }, () => 0.8) })],
        latestPrices: [usEast1OnDemand, usEast1Committed],
      }),
      settings,
    );
    expect(two.map((s) => s.signalId)).toEqual(one.map((s) => s.signalId));
    expect(two[0]!.monthlyImpact).not.toBe(one[0]!.monthlyImpact);
    const impacts = computeSignals(
      inputs({
        pools: [
          pool(),
          pool({
            pool: 'serve-b',
            hosts: 4,
            gpus: 32,
            paidGpuHours: 23_040,
            effectiveGpuHours: 5_760,
            cost: '46080',
            costPerPaidGpuHour: '2',
          }),
        ],
        latestPrices: [usEast1OnDemand, usEast1Committed],
      }),
      settings,
    ).map((s) => Number(s.monthlyImpact));
    expect(impacts).toEqual([...impacts].sort((a, b) => b - a));
  });

  it('interpolates percentiles between ranks', () => {
    expect(percentile([0.1, 0.2, 0.3, 0.4, 0.5], 0.25)).toBeCloseTo(0.2, 12);
    expect(percentile([1, 2], 0.25)).toBeCloseTo(1.25, 12);
  });
});
