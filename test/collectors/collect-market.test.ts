import '../../local/local-logging.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localBus } from '../../shared/adapters/events.js';
import { type CollectorTarget, runCollectors } from '../../shared/services/collect/index.js';
import type { CollectorRun } from '../../shared/domain/providers/collector-runs.js';
import type { GpuPricePoint } from '../../shared/domain/market/price-points.js';
import type { PriceTableRow } from '../../shared/domain/market/price-query.js';
import { type LocalProviders, startLocalProviders } from '../../local/providers/index.js';
import type { LedgerRuntime } from '../../local/runtime.js';
import { localCollectorContext } from '../support/collectors.js';
import { apiClient, startTestLedger } from '../support/ledger.js';

/** Price and capacity collectors, and `all`, end to end: local provider server → DynamoDB Local → the API. */
const clock = '2026-11-23T09:30:00Z';
let ledger: LedgerRuntime;
let providers: LocalProviders;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  ledger = await startTestLedger();
  api = apiClient(ledger);
  providers = await startLocalProviders({ now: clock });
});
afterAll(async () => {
  await providers?.stop();
  await ledger?.stop();
});
beforeEach(() => {
  providers.controls.reset();
  providers.controls.resetCounts();
});

async function collect(
  target: CollectorTarget,
  env: Record<string, string | undefined> = {},
  warn?: (message: string, details: Record<string, unknown>) => void,
) {
  const context = localCollectorContext(ledger, providers, { asOf: clock, env });
  try {
    return await runCollectors(target, { ...context, ...(warn ? { warn } : {}) }, { from: '2026-11-19', to: '2026-11-20' });
  } finally {
    await context.clients.close();
  }
}

const byCollector = (runs: CollectorRun[]) => Object.fromEntries(runs.map((r) => [r.collector, r]));

describe('prices', () => {
  it('collects AWS spot and price-list, Azure retail and GCP catalog prices, shown per GPU-hour by GET /v1/prices', async () => {
    const runs = byCollector(await collect('prices'));
    expect(Object.values(runs).map((r) => [r.collector, r.status])).toEqual([
      ['aws-prices', 'ok'],
      ['azure-prices', 'ok'],
      ['gcp-prices', 'ok'],
    ]);
    // Price List: 2 regions × 38 GPU types × (on-demand + 2 reserved terms); spot: the types each region offers
    // × 3 zones × the price at 03:30 and the changes at 06:00 (six-hour steps), Linux/UNIX.
    expect(runs['aws-prices']!.rows).toBe(2 * 38 * 3 + (8 + 5) * 3 * 2);
    // Retail Prices: 2 regions × 16 GPU sizes × (on-demand, spot, 1- and 3-year reservations).
    expect(runs['azure-prices']!.rows).toBe(2 * 16 * 4);
    // Catalog: GPU SKUs per service region (Americas SKUs in three regions, EMEA ones in one).
    expect(runs['gcp-prices']!.rows).toBe(56);

    const h100 = await api('GET', '/v1/prices?gpuModel=H100&pricingCategory=on-demand');
    const table = h100.body.table as PriceTableRow[];
    expect(table.map((r) => [r.provider, r.minPerGpuHour, r.maxPerGpuHour])).toEqual([
      // p5.48xlarge: 55.04 / 8 GPUs.
      ['aws', '6.88', '6.88'],
      // ND96isr H100 v5: 98.32 / 8.
      ['azure', '12.29', '12.29'],
      // The H100 80GB GPU SKU, 9 units + 796550000 nanos an hour.
      ['gcp', '9.79655', '9.79655'],
    ]);
    const reserved = await api('GET', '/v1/prices?gpuModel=H100&provider=aws&pricingCategory=reserved');
    // 1yr No Upfront: 62% of 55.04 rounded to 4 places = 34.1248 / 8; 3yr All Upfront: 578580 / 26280 h / 8.
    expect(
      (reserved.body.points as GpuPricePoint[])
        .filter((p) => p.instanceType === 'p5.48xlarge')
        .map((p) => [p.region, p.term, p.pricePerGpuHour])
        .sort(),
    ).toEqual([
      ['us-east-1', '1yr', '4.2656'],
      ['us-east-1', '3yr', '2.751997716895'],
      ['us-west-2', '1yr', '4.2656'],
      ['us-west-2', '3yr', '2.751997716895'],
    ]);
  });

  it('gives the same latest prices on a re-run', async () => {
    await collect('prices');
    const first = (await api('GET', '/v1/prices')).body.points as GpuPricePoint[];
    await collect('prices');
    const second = (await api('GET', '/v1/prices')).body.points as GpuPricePoint[];
    expect(second.map((p) => p.key).sort()).toEqual(first.map((p) => p.key).sort());
  });

  it('goes on with the other regions when one fails: a partial run that names the part', async () => {
    // Every attempt at the first request fails: us-east-1's spot prices; us-west-2's still come.
    providers.controls.fail('aws-ec2', 4);
    const [run] = await collect('prices');
    expect(run).toMatchObject({ collector: 'aws-prices', status: 'partial' });
    expect(run!.failures).toEqual([
      expect.stringMatching(
        /^us-east-1 spot prices: EC2\.DescribeSpotPriceHistory failed after 4 attempts in \d+ ms \(HTTP 500 InternalError\)/,
      ),
    ]);
    expect(run!.rows).toBe(2 * 38 * 3 + 5 * 3 * 2);
  });
});

describe('capacity', () => {
  it('collects capacity reservations, GPU quotas and spot placement scores, shown by GET /v1/capacity', async () => {
    const [run] = await collect('capacity');
    // 3 reservations in us-east-1; 4 GPU quotas × 2 regions; 9 GPU models × 2 regions × 3 zones.
    expect(run).toMatchObject({ collector: 'aws-capacity', status: 'ok', rows: 3 + 8 + 54 });
    const reservations = await api('GET', '/v1/capacity?kind=capacity-reservation');
    expect(
      reservations.body.observations.map((o: { reservationId: string; usedGpus: number }) => [o.reservationId, o.usedGpus]).sort(),
    ).toEqual([
      // A Capacity Block of 4 p5.48xlarge, 3 in use; 2 g6e.12xlarge, both in use; an expired block.
      ['cr-0a1b2c3d4e5f60001', 24],
      ['cr-0a1b2c3d4e5f60002', 8],
      ['cr-0a1b2c3d4e5f60003', 0],
    ]);
    const quotas = await api('GET', '/v1/capacity?kind=gpu-quota&region=us-east-1');
    expect(quotas.body.observations.map((o: { quotaCode: string; limitVcpus: number }) => [o.quotaCode, o.limitVcpus]).sort()).toEqual([
      ['L-3819A6DF', 64],
      ['L-417A185B', 384],
      ['L-7212CCBC', 192],
      ['L-DB2E81BA', 96],
    ]);
    const scores = await api('GET', '/v1/capacity?kind=spot-placement-score&region=us-west-2');
    expect(scores.body.observations).toHaveLength(9 * 3);
  });
});

describe('all', () => {
  it('runs every collector; one provider failing does not stop the others', async () => {
    providers.controls.fail('gcp-bigquery', 'always');
    const runs = await collect('all');
    expect(runs.map((r) => [r.collector, r.status])).toEqual([
      ['aws-costs', 'ok'],
      ['azure-costs', 'ok'],
      ['gcp-costs', 'failed'],
      ['aws-prices', 'ok'],
      ['azure-prices', 'ok'],
      ['gcp-prices', 'ok'],
      ['aws-capacity', 'ok'],
    ]);
    const failed = byCollector(runs)['gcp-costs']!;
    expect(failed.error).toMatch(/^BigQuery\.jobs\.query failed after 4 attempts in \d+ ms \(HTTP 500 backendError\)/);
    expect(localBus.published.some((e) => e.name === 'collector.failed' && (e.detail as { runId: string }).runId === failed.runId)).toBe(
      true,
    );
    const listed = await api('GET', '/v1/collector-runs?limit=7');
    expect(listed.body.runs.map((r: CollectorRun) => r.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
  });

  it('records providers without credentials as not-configured, naming what is missing, and warns once', async () => {
    const warnings: string[] = [];
    const unconfigured = {
      LEDGER_GCP_BIGQUERY_ENDPOINT: undefined,
      LEDGER_GCP_BILLING_ENDPOINT: undefined,
      LEDGER_GCP_PROJECT_ID: undefined,
      LEDGER_GCP_BILLING_EXPORT_TABLE: undefined,
      LEDGER_AZURE_ENABLED: 'false',
    };
    const warn = (message: string, details: Record<string, unknown>) => warnings.push(`${message}: ${details.collector}`);
    const runs = byCollector(await collect('all', unconfigured, warn));
    expect(runs['gcp-costs']).toMatchObject({
      status: 'not-configured',
      rows: 0,
      error: 'not configured: LEDGER_GCP_PROJECT_ID; LEDGER_GCP_BILLING_EXPORT_TABLE; GOOGLE_APPLICATION_CREDENTIALS',
    });
    expect(runs['gcp-prices']).toMatchObject({ status: 'not-configured', error: 'not configured: GOOGLE_APPLICATION_CREDENTIALS' });
    expect(runs['azure-costs']).toMatchObject({ status: 'not-configured', error: 'not configured: LEDGER_AZURE_ENABLED is false' });
    expect(runs['aws-costs']!.status).toBe('ok');
    await collect('all', unconfigured, warn);
    expect(warnings.sort()).toEqual([
      'collector not configured: azure-costs',
      'collector not configured: azure-prices',
      'collector not configured: gcp-costs',
      'collector not configured: gcp-prices',
    ]);
    const listed = await api('GET', '/v1/collector-runs?collector=gcp-costs&limit=1');
    expect(listed.body.runs[0]).toMatchObject({ status: 'not-configured', error: runs['gcp-costs']!.error });
  });
});
