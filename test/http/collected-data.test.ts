import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoCapacityStore } from '../../shared/adapters/dynamo/capacity-store.js';
import { DynamoCostStore } from '../../shared/adapters/dynamo/cost-store.js';
import { DynamoPriceStore } from '../../shared/adapters/dynamo/price-store.js';
import { DynamoRunStore } from '../../shared/adapters/dynamo/run-store.js';
import type { CapacityObservation } from '../../shared/domain/market/capacity.js';
import { keyedFocusRecord } from '../../shared/domain/costs/focus.js';
import type { LedgerRuntime } from '../../local/runtime.js';
import type { GpuPricePoint } from '../../shared/domain/market/price-points.js';
import { focusRecord } from '../support/focus.js';
import { gpuPricePoint } from '../support/prices.js';
import { apiClient, startTestLedger } from '../support/ledger.js';

let ledger: LedgerRuntime;
let api: ReturnType<typeof apiClient>;
let costs: DynamoCostStore;

beforeAll(async () => {
  ledger = await startTestLedger();
  api = apiClient(ledger);
  const db = createDocumentClient({ region: 'us-east-1', endpoint: ledger.dynamoEndpoint });
  costs = new DynamoCostStore(db, ledger.tableName);
  const day = (d: number) => ({ ChargePeriodStart: `2026-11-0${d}T00:00:00Z`, ChargePeriodEnd: `2026-11-0${d + 1}T00:00:00Z` });
  await costs.putRecords('run-1', [
    keyedFocusRecord(
      'aws',
      focusRecord({
        ...day(1),
        BilledCost: '1320.4812',
        EffectiveCost: '1100.1',
        ListCost: '1500',
        ResourceId: 'i-0aaa',
        Tags: { team: 'research' },
      }),
    ),
    keyedFocusRecord(
      'aws',
      focusRecord({
        ...day(2),
        BilledCost: '0.5188',
        EffectiveCost: '0.9',
        ListCost: '1',
        ResourceId: 'i-0bbb',
        Tags: { team: 'platform' },
      }),
    ),
    keyedFocusRecord(
      'aws',
      focusRecord({
        ...day(2),
        ServiceName: 'Amazon S3',
        ServiceCategory: 'Storage',
        BilledCost: '10',
        EffectiveCost: '10',
        ListCost: '10',
      }),
    ),
    keyedFocusRecord(
      'gcp',
      focusRecord({
        ...day(3),
        ProviderName: 'Google Cloud',
        BillingAccountId: '01ABCD',
        ServiceName: 'Compute Engine',
        BilledCost: '200',
        EffectiveCost: '150',
        ListCost: '250',
      }),
    ),
  ]);
  const prices = new DynamoPriceStore(db, ledger.tableName);
  await prices.putPoints([
    gpuPricePoint({}),
    gpuPricePoint({
      pricingCategory: 'spot',
      zone: 'us-east-1a',
      pricePerHour: '23.67',
      pricePerGpuHour: '2.95875',
      source: 'ec2:DescribeSpotPriceHistory',
    }),
    gpuPricePoint({
      pricingCategory: 'spot',
      zone: 'us-east-1b',
      pricePerHour: '30',
      pricePerGpuHour: '3.75',
      source: 'ec2:DescribeSpotPriceHistory',
    }),
    gpuPricePoint({
      provider: 'azure',
      region: 'eastus',
      instanceType: 'Standard_ND96isr_H100_v5',
      pricePerHour: '98.32',
      pricePerGpuHour: '12.29',
      source: 'azure:retail-prices',
    }),
    gpuPricePoint({ gpuModel: 'L4', instanceType: 'g6.xlarge', gpuCount: 1, pricePerHour: '0.8048', pricePerGpuHour: '0.8048' }),
  ]);
  // An older observation of the same spot offer arrives late: it must not replace the newer one.
  await prices.putPoints([
    gpuPricePoint({
      pricingCategory: 'spot',
      zone: 'us-east-1a',
      pricePerHour: '40',
      pricePerGpuHour: '5',
      observedAt: new Date(Date.now() - 7_200_000).toISOString(),
    }),
  ]);

  const capacity = new DynamoCapacityStore(db, ledger.tableName);
  const reservation = (id: string, observedAt: string): CapacityObservation => ({
    key: `aws#capacity-reservation#us-east-1#${id}#${observedAt}`,
    kind: 'capacity-reservation',
    provider: 'aws',
    region: 'us-east-1',
    availabilityZone: 'us-east-1a',
    reservationId: id,
    reservationType: 'capacity-block',
    instanceType: 'p5.48xlarge',
    gpuModel: 'H100',
    gpusPerInstance: 8,
    totalInstances: 4,
    availableInstances: 1,
    usedGpus: 24,
    state: 'active',
    startDate: null,
    endDate: null,
    observedAt,
  });
  await capacity.putObservations([reservation('cr-old', '2026-11-19T00:00:00Z'), reservation('cr-ended', '2026-11-19T00:00:00Z')]);
  await capacity.putObservations([reservation('cr-old', '2026-11-20T00:00:00Z')]);

  const runs = new DynamoRunStore(db, ledger.tableName);
  for (const [i, status] of (['ok', 'failed', 'not-configured'] as const).entries()) {
    await runs.putRun({
      runId: `r${i}`,
      collector: i === 2 ? 'azure-costs' : 'aws-costs',
      provider: i === 2 ? 'azure' : 'aws',
      periodStart: '2026-11-01',
      periodEnd: '2026-11-20',
      status,
      rows: 10 * i,
      pages: i,
      startedAt: `2026-11-20T0${i}:00:00.000Z`,
      durationMs: 5,
    });
  }
});
afterAll(async () => ledger?.stop());

describe('GET /v1/costs', () => {
  it('sums exactly by service for a window', async () => {
    const r = await api('GET', '/v1/costs?from=2026-11-01&to=2026-11-03');
    expect(r.status).toBe(200);
    expect(r.body.groups).toEqual([
      {
        key: 'Amazon Elastic Compute Cloud - Compute',
        currency: 'USD',
        billedCost: '1321',
        effectiveCost: '1101',
        listCost: '1501',
        records: 2,
      },
      { key: 'Amazon S3', currency: 'USD', billedCost: '10', effectiveCost: '10', listCost: '10', records: 1 },
    ]);
  });

  it('filters by provider and groups by tag', async () => {
    const r = await api('GET', '/v1/costs?from=2026-11-01&to=2026-11-10&provider=aws&groupBy=tag:team');
    expect(r.body.groups.map((g: { key: string | null; effectiveCost: string }) => [g.key, g.effectiveCost])).toEqual([
      ['research', '1100.1'],
      [null, '10'],
      ['platform', '0.9'],
    ]);
    const gcp = await api('GET', '/v1/costs?from=2026-11-01&to=2026-11-10&provider=gcp');
    expect(gcp.body.totals).toEqual([{ currency: 'USD', billedCost: '200', effectiveCost: '150', listCost: '250', records: 1 }]);
  });

  it('refuses bad queries naming the field', async () => {
    expect((await api('GET', '/v1/costs?from=2026-11-01')).body.error.message).toContain('query: to');
    expect((await api('GET', '/v1/costs?from=2026-11-01&to=2026-11-03&groupBy=Color')).body.error.message).toContain('query: groupBy');
    expect((await api('GET', '/v1/costs?from=2026-11-01&to=2026-11-03&provider=oracle')).status).toBe(400);
  });
});

describe('GET /v1/costs/export', () => {
  it('answers FOCUS columns as CSV, one record a row', async () => {
    const r = await api('GET', '/v1/costs/export?format=csv&from=2026-11-01&to=2026-11-10&provider=aws');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = r.text.trim().split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]!.startsWith('BilledCost,BillingAccountId,')).toBe(true);
    expect(lines.some((l) => l.startsWith('1320.4812,111122223333,'))).toBe(true);
    expect((await api('GET', '/v1/costs/export?format=xlsx&from=2026-11-01&to=2026-11-10')).status).toBe(400);
  });
});

describe('GET /v1/prices', () => {
  it('answers the latest point of every offer with a per-GPU-hour table', async () => {
    const r = await api('GET', '/v1/prices?gpuModel=H100');
    expect(r.status).toBe(200);
    expect(r.body.points).toHaveLength(4);
    expect(r.body.table).toEqual([
      expect.objectContaining({ gpuModel: 'H100', provider: 'aws', pricingCategory: 'on-demand', offers: 1, minPerGpuHour: '6.88' }),
      expect.objectContaining({
        gpuModel: 'H100',
        provider: 'aws',
        pricingCategory: 'spot',
        offers: 2,
        minPerGpuHour: '2.95875',
        maxPerGpuHour: '3.75',
        cheapest: { region: 'us-east-1', zone: 'us-east-1a', instanceType: 'p5.48xlarge', sku: null },
      }),
      expect.objectContaining({ gpuModel: 'H100', provider: 'azure', pricingCategory: 'on-demand', minPerGpuHour: '12.29' }),
    ]);
  });

  it('filters by category and answers history over a window', async () => {
    const spot = await api('GET', '/v1/prices?pricingCategory=spot');
    expect(spot.body.points.map((p: GpuPricePoint) => p.pricePerGpuHour).sort()).toEqual(['2.95875', '3.75']);
    const history = await api('GET', '/v1/prices?view=history&gpuModel=H100&pricingCategory=spot&provider=aws');
    expect(history.body.points.map((p: GpuPricePoint) => p.pricePerGpuHour)).toEqual(['5', '2.95875', '3.75']);
    expect((await api('GET', '/v1/prices?gpuModel=H1000')).body.error.message).toContain('query: gpuModel');
  });
});

describe('GET /v1/capacity and /v1/collector-runs', () => {
  it('shows the newest observation per subject and drops subjects the newest run no longer saw', async () => {
    const r = await api('GET', '/v1/capacity?kind=capacity-reservation');
    expect(r.body.observations.map((o: { reservationId: string; observedAt: string }) => [o.reservationId, o.observedAt])).toEqual([
      ['cr-old', '2026-11-20T00:00:00Z'],
    ]);
  });

  it('lists runs newest first, for one collector or all', async () => {
    const all = await api('GET', '/v1/collector-runs');
    expect(all.body.runs.map((r: { runId: string }) => r.runId)).toEqual(['r2', 'r1', 'r0']);
    const aws = await api('GET', '/v1/collector-runs?collector=aws-costs&limit=1');
    expect(aws.body.runs.map((r: { runId: string; status: string }) => [r.runId, r.status])).toEqual([['r1', 'failed']]);
    expect((await api('GET', '/v1/collector-runs?limit=0')).body.error.message).toContain('query: limit');
  });
});

describe('FOCUS cost store', () => {
  it('replaces a restated period: new amounts overwrite, vanished records are removed, other days stay', async () => {
    const restated = keyedFocusRecord(
      'aws',
      focusRecord({
        ChargePeriodStart: '2026-11-01T00:00:00Z',
        ChargePeriodEnd: '2026-11-02T00:00:00Z',
        BilledCost: '1300',
        EffectiveCost: '1090',
        ListCost: '1500',
        ResourceId: 'i-0aaa',
        Tags: { team: 'research' },
      }),
    );
    await costs.putRecords('run-2', [restated]);
    const removed = await costs.removeStale('run-2', 'aws', ['111122223333'], {
      start: '2026-11-01T00:00:00Z',
      end: '2026-11-02T00:00:00Z',
    });
    expect(removed).toBe(0);
    const r = await api('GET', '/v1/costs?from=2026-11-01&to=2026-11-03&provider=aws');
    expect(r.body.totals).toEqual([{ currency: 'USD', billedCost: '1310.5188', effectiveCost: '1100.9', listCost: '1511', records: 3 }]);
    // Day 2 restated to a single S3 record: the EC2 record of day 2 is gone.
    await costs.putRecords('run-3', [
      keyedFocusRecord(
        'aws',
        focusRecord({
          ChargePeriodStart: '2026-11-02T00:00:00Z',
          ChargePeriodEnd: '2026-11-03T00:00:00Z',
          ServiceName: 'Amazon S3',
          ServiceCategory: 'Storage',
          BilledCost: '10',
          EffectiveCost: '10',
          ListCost: '10',
        }),
      ),
    ]);
    expect(await costs.removeStale('run-3', 'aws', ['111122223333'], { start: '2026-11-02T00:00:00Z', end: '2026-11-03T00:00:00Z' })).toBe(
      1,
    );
    const after = await api('GET', '/v1/costs?from=2026-11-01&to=2026-11-03&provider=aws');
    expect(after.body.totals).toEqual([{ currency: 'USD', billedCost: '1310', effectiveCost: '1100', listCost: '1510', records: 2 }]);
  });
});
