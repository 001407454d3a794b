import { beforeAll, describe, expect, it } from 'vitest';
import { signalRaised } from '../../events/analysis.js';
import { DynamoAlertStore } from '../../shared/adapters/dynamo/alert-store.js';
import { DynamoCapacityStore } from '../../shared/adapters/dynamo/capacity-store.js';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoPriceStore } from '../../shared/adapters/dynamo/price-store.js';
import { DynamoSignalStore } from '../../shared/adapters/dynamo/signal-store.js';
import { LocalEventBus } from '../../shared/adapters/events.js';
import { raiseSignals, type SignalDependencies } from '../../shared/services/analyze/signals.js';
import { readConfig } from '../../shared/config.js';
import { spotPlacementScoreObservations } from '../../shared/domain/market/capacity.js';
import type { GpuObservation, PoolObservation } from '../../shared/domain/economics/fleet-observations.js';
import { pricePointsFromAwsPriceList, spotPricePointsFromEc2 } from '../../shared/domain/market/price-points.js';
import { useTestLedger } from '../support/ledger.js';
import { HOUR_MS } from '../../shared/domain/core/utc-time.js';

const RUN_1 = Date.parse('2026-11-21T00:00:00.000Z');
const RUN_2 = RUN_1 + HOUR_MS;
const RUN_3 = RUN_1 + 2 * HOUR_MS;
const RUN_4 = RUN_1 + 3 * HOUR_MS;

const { ledger, api } = useTestLedger();
let deps: SignalDependencies & { signals: DynamoSignalStore };
let prices: DynamoPriceStore;
let capacity: DynamoCapacityStore;
let bus: LocalEventBus;

/** One AWS Price List (GetProducts) entry for p5.48xlarge in us-east-1, Linux, shared tenancy. */
function priceListEntry(effectiveDate: string, onDemandHourly: string, reservedHourly?: string): string {
  const sku = `P5SKU${effectiveDate.slice(0, 10).replaceAll('-', '')}`;
  return JSON.stringify({
    product: {
      sku,
      productFamily: 'Compute Instance',
      attributes: {
        instanceType: 'p5.48xlarge',
        regionCode: 'us-east-1',
        operatingSystem: 'Linux',
        tenancy: 'Shared',
        preInstalledSw: 'NA',
        capacitystatus: 'Used',
      },
    },
    terms: {
      OnDemand: {
        [`${sku}.JRTCKXETXF`]: {
          effectiveDate,
          priceDimensions: { [`${sku}.JRTCKXETXF.6YS6EN2CT7`]: { unit: 'Hrs', pricePerUnit: { USD: onDemandHourly } } },
        },
      },
      ...(reservedHourly
        ? {
            Reserved: {
              [`${sku}.4NA7Y494T4`]: {
                effectiveDate,
                termAttributes: { LeaseContractLength: '1yr', OfferingClass: 'standard', PurchaseOption: 'No Upfront' },
                priceDimensions: { [`${sku}.4NA7Y494T4.6YS6EN2CT7`]: { unit: 'Hrs', pricePerUnit: { USD: reservedHourly } } },
              },
            },
          }
        : {}),
    },
  });
}

/** 30 days (720 h) of a pool; `utilization` is effective ÷ paid, the same every day. */
function pool(
  name: string,
  overrides: Partial<Omit<PoolObservation, 'effectiveGpuHours' | 'dailyEffectiveUtilization' | 'paidGpuHours' | 'gpus'>> & {
    utilization: number;
  },
): PoolObservation {
  const { utilization, ...rest } = overrides;
  const hosts = rest.hosts ?? 2;
  const paidGpuHours = hosts * 8 * 720;
  return {
    pool: name,
    provider: 'aws',
    region: 'us-east-1',
    instanceType: 'p5.48xlarge',
    gpuModel: 'H100',
    pricingCategory: 'Standard',
    team: 'research',
    hosts,
    gpus: hosts * 8,
    windowStart: '2026-10-22T00:00:00.000Z',
    windowEnd: '2026-11-21T00:00:00.000Z',
    windowHours: 720,
    paidGpuHours,
    cost: '79257.6',
    costPerPaidGpuHour: '6.88',
    ...rest,
    effectiveGpuHours: paidGpuHours * utilization,
    dailyEffectiveUtilization: Array.from({ length: 30 }, () => utilization),
  };
}

// train-a: 2 p5.48xlarge (16 H100) on-demand at $6.88 per GPU-hour, 75% effectively used.
const trainA = pool('train-a', { utilization: 0.75 });
// serve-b: 4 g5.48xlarge (32 A10G), 25% used at $2.00 per GPU-hour: half its hosts can go.
const serveBShape = { hosts: 4, instanceType: 'g5.48xlarge', gpuModel: 'A10G', cost: '46080', costPerPaidGpuHour: '2', team: 'serving' };
const serveB = pool('serve-b', { ...serveBShape, utilization: 0.25 });

/** train-a's 16 GPUs, each $4,953.60 over the window; tokens per GPU-hour 1,000 but for the slow ones. */
function trainAGpus(slow: Record<number, number>): GpuObservation[] {
  return Array.from({ length: 16 }, (_, i) => ({
    pool: 'train-a',
    hostId: `train-a-${Math.floor(i / 8)}`,
    uuid: `GPU-a-${i}`,
    gpuModel: 'H100',
    smActive: 0.6,
    tokensPerGpuHour: slow[i] ?? 1000,
    paidGpuHours: 720,
    cost: '4953.6',
  }));
}

beforeAll(async () => {
  const { dynamoEndpoint, tableName } = ledger();
  const db = createDocumentClient({ region: 'us-east-1', endpoint: dynamoEndpoint });
  bus = new LocalEventBus();
  prices = new DynamoPriceStore(db, tableName);
  capacity = new DynamoCapacityStore(db, tableName);
  deps = {
    config: readConfig({ LEDGER_TABLE_NAME: tableName }), // the defaults: move 15%, idle 60%, renegotiate 10%
    prices,
    capacity,
    signals: new DynamoSignalStore(db, tableName),
    alerts: new DynamoAlertStore(db, tableName),
    events: bus,
  };
  // On-demand $55.04/h ($6.88 per GPU-hour) since September, $60.544 ($7.568, +10%) from 2026-11-18; 1-year committed $34.40/h ($4.30).
  await prices.putPoints([
    ...pricePointsFromAwsPriceList(priceListEntry('2026-09-01T00:00:00Z', '55.0400000000', '34.4000000000'), 0),
    ...pricePointsFromAwsPriceList(priceListEntry('2026-11-18T00:00:00Z', '60.5440000000'), 1),
  ]);
  // us-west-2 spot: $3.00, $3.20, $3.30 per GPU-hour by zone (median $3.20), placement score 9 (10% interruptions).
  await prices.putPoints(
    spotPricePointsFromEc2(
      [
        {
          AvailabilityZone: 'us-west-2a',
          InstanceType: 'p5.48xlarge',
          ProductDescription: 'Linux/UNIX',
          SpotPrice: '24.000000',
          Timestamp: '2026-11-20T22:00:00.000Z',
        },
        {
          AvailabilityZone: 'us-west-2b',
          InstanceType: 'p5.48xlarge',
          ProductDescription: 'Linux/UNIX',
          SpotPrice: '25.600000',
          Timestamp: '2026-11-20T22:10:00.000Z',
        },
        {
          AvailabilityZone: 'us-west-2c',
          InstanceType: 'p5.48xlarge',
          ProductDescription: 'Linux/UNIX',
          SpotPrice: '26.400000',
          Timestamp: '2026-11-20T22:20:00.000Z',
        },
      ],
      { region: 'us-west-2' },
    ),
  );
  await capacity.putObservations(
    spotPlacementScoreObservations([{ Region: 'us-west-2', AvailabilityZoneId: 'usw2-az1', Score: 9 }], {
      instanceTypes: ['p5.48xlarge', 'p5.4xlarge'],
      targetCapacity: 1,
      observedAt: '2026-11-20T23:00:00.000Z',
    }),
  );
});

const raisedEvents = () =>
  bus.published
    .filter((e) => e.name === signalRaised.name)
    .map((e) => e.detail as { signalId: string; alertKey: string; type: string; monthlyImpact: string });

describe('raiseSignals', () => {
  it('raises each signal once, keeps firstRaisedAt, updates the numbers and resolves what is gone', async () => {
    const first = await raiseSignals(deps, { pools: [trainA, serveB], gpus: trainAGpus({ 7: 700 }), nowMs: RUN_1 });
    expect(first.map((s) => [s.type, s.monthlyImpact])).toEqual([
      ['move', '38829.51'], // (6.88 − 3.20 ÷ 0.9) × 11,680 GPU-hours a month
      ['commit', '30134.40'], // 79,257.60 × 730/720 − 4.30 × 11,680
      ['consolidate', '23360.00'], // 2 of 4 hosts × 46,080 × 730/720 ÷ 4
      ['renegotiate', '8035.84'], // (7.568 − 6.88) × 11,680
      ['replace', '1506.72'], // 4,953.60 × 730/720 × (1 − 700/1,000)
    ]);
    expect(first.every((s) => s.firstRaisedAt === '2026-11-21T00:00:00.000Z' && s.updatedAt === s.firstRaisedAt)).toBe(true);
    const commit = first.find((s) => s.type === 'commit')!;
    expect(commit.evidence).toMatchObject({
      onDemandPerGpuHour: '7.568',
      committedPerGpuHour: '4.3',
      pricesRegion: 'us-east-1',
      daysObserved: 30,
    });
    expect(commit.confidence).toBe(0.91); // 6.88 paid against 7.568 on-demand
    expect(
      raisedEvents()
        .map((e) => e.alertKey)
        .sort(),
    ).toEqual(first.map((s) => `signal:${s.signalId}`).sort());

    // An hour later: train-a costs more, a second GPU is slow, serve-b is busy.
    const costlier = { ...trainA, cost: '80000', costPerPaidGpuHour: '6.944444444444' };
    const busy = pool('serve-b', { ...serveBShape, utilization: 0.8 });
    const second = await raiseSignals(deps, { pools: [costlier, busy], gpus: trainAGpus({ 7: 700, 5: 800 }), nowMs: RUN_2 });
    expect(second.map((s) => s.type)).toEqual(['move', 'commit', 'renegotiate', 'replace', 'replace']);
    const commitAgain = second.find((s) => s.type === 'commit')!;
    expect(commitAgain).toMatchObject({
      signalId: commit.signalId,
      monthlyImpact: '30887.11',
      firstRaisedAt: '2026-11-21T00:00:00.000Z',
      updatedAt: '2026-11-21T01:00:00.000Z',
    });

    // One event per signal id: the five of the first run and the newly slow GPU's.
    const events = raisedEvents();
    expect(events).toHaveLength(6);
    expect(new Set(events.map((e) => e.signalId)).size).toBe(6);
    expect(events.at(-1)).toMatchObject({ type: 'replace', monthlyImpact: '1004.48' });

    const consolidate = first.find((s) => s.type === 'consolidate')!;
    expect(await deps.signals.get(consolidate.signalId)).toMatchObject({
      status: 'resolved',
      resolvedAt: '2026-11-21T01:00:00.000Z',
      firstRaisedAt: '2026-11-21T00:00:00.000Z',
    });
  });

  it('releases the claim when the publish fails, so the next run alerts; a reopened signal is not alerted again', async () => {
    const serveC = pool('serve-c', { ...serveBShape, utilization: 0.25 });
    const failing = new LocalEventBus();
    failing.subscribe(() => {
      throw new Error('bus unavailable');
    });
    const before = raisedEvents().length;
    await expect(raiseSignals({ ...deps, events: failing }, { pools: [trainA, serveC], gpus: [], nowMs: RUN_3 })).rejects.toThrow(
      'bus unavailable',
    );
    expect(raisedEvents()).toHaveLength(before);

    const idleAgain = pool('serve-b', { ...serveBShape, utilization: 0.25 });
    const views = await raiseSignals(deps, { pools: [trainA, serveC, idleAgain], gpus: [], nowMs: RUN_4 });
    const newEvents = raisedEvents().slice(before);
    const serveCSignal = views.find((s) => s.subject.startsWith('pool serve-c'))!;
    expect(newEvents.map((e) => e.signalId)).toEqual([serveCSignal.signalId]);
    // serve-b's consolidate is open again under its id, first raised in the first run.
    const reopened = views.find((s) => s.subject.startsWith('pool serve-b'))!;
    expect(reopened).toMatchObject({
      type: 'consolidate',
      firstRaisedAt: '2026-11-21T00:00:00.000Z',
      updatedAt: '2026-11-21T03:00:00.000Z',
    });
    expect(await deps.signals.get(reopened.signalId)).toMatchObject({ status: 'open', resolvedAt: null });
  });
});

describe('GET /v1/signals', () => {
  it('lists open signals largest impact first, by type and status', async () => {
    const open = await api('GET', '/v1/signals');
    expect(open.status).toBe(200);
    // After the fourth run: train-a's move, commit and renegotiate; serve-b's and serve-c's consolidate.
    expect(open.body.signals.map((s: { type: string; monthlyImpact: string }) => [s.type, s.monthlyImpact])).toEqual([
      ['move', '38829.51'],
      ['commit', '30134.40'],
      ['consolidate', '23360.00'],
      ['consolidate', '23360.00'],
      ['renegotiate', '8035.84'],
    ]);
    expect(
      open.body.signals.every((s: { status: string; resolvedAt: string | null }) => s.status === 'open' && s.resolvedAt === null),
    ).toBe(true);

    const resolved = await api('GET', '/v1/signals?status=resolved&type=replace');
    expect(resolved.status).toBe(200);
    expect(resolved.body.signals.map((s: { monthlyImpact: string; resolvedAt: string }) => [s.monthlyImpact, s.resolvedAt])).toEqual([
      ['1506.72', '2026-11-21T02:00:00.000Z'],
      ['1004.48', '2026-11-21T02:00:00.000Z'],
    ]);

    const commits = await api('GET', '/v1/signals?type=commit');
    expect(commits.body.signals).toHaveLength(1);
    expect(commits.body.signals[0]).toMatchObject({
      type: 'commit',
      team: 'research',
      currency: 'USD',
      firstRaisedAt: '2026-11-21T00:00:00.000Z',
      updatedAt: '2026-11-21T03:00:00.000Z',
    });

    const bad = await api('GET', '/v1/signals?type=cheaper');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('type');
    expect((await api('GET', '/v1/signals', { token: null })).status).toBe(401);
  });
});
