import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBigQueryClient, fetchBigQueryPages, gcpBillingExportQuery } from '../../shared/adapters/gcp/bigquery-billing.js';
import { createCloudCatalogClient, fetchGcpSkuPages } from '../../shared/adapters/gcp/cloud-catalog.js';
import { staticGoogleAuthClient } from '../../shared/adapters/gcp/google-auth.js';
import { focusRecordProblems } from '../../shared/domain/costs/focus.js';
import { normalizeGcpBillingPages } from '../../shared/domain/costs/focus-gcp.js';
import { pricePointsFromGcpSku } from '../../shared/domain/market/price-points.js';
import { ProviderError } from '../../shared/domain/providers/provider-errors.js';
import { type LocalProviders, startLocalProviders } from '../../local/providers/index.js';
import { byKey, clock, collect, counting, failureOf, fastRetry } from './helpers.js';

let providers: LocalProviders;

beforeAll(async () => {
  providers = await startLocalProviders({ now: clock, pageSizes: { bigQuery: 5 } });
});
afterAll(() => providers.stop());
beforeEach(() => {
  providers.controls.reset();
  providers.controls.resetCounts();
});

function bigQuery() {
  return createBigQueryClient({
    projectId: providers.accounts.gcp.billingProjectId,
    endpoint: providers.endpoints.LEDGER_GCP_BIGQUERY_ENDPOINT,
    authClient: staticGoogleAuthClient('local-token'),
  });
}

async function collectCosts(start: string, end: string, options = fastRetry) {
  const pages = counting(
    fetchBigQueryPages(bigQuery(), gcpBillingExportQuery({ table: providers.accounts.gcp.exportTable, start, end }), options),
  );
  const records = await collect(normalizeGcpBillingPages(pages.pages, { billingAccountName: 'Example billing' }));
  return { records, pages: pages.count() };
}

describe('BigQuery billing-export adapter against the local server', () => {
  it('runs jobs.query and pages jobs.getQueryResults to the end, riding out the throttled page', async () => {
    const retried: string[] = [];
    const { records, pages } = await collectCosts('2026-11-19', '2026-11-23', {
      ...fastRetry,
      onRetry: (e) => retried.push(`${e.operation} ${e.failure.providerCode}`),
    });
    // 3 instances × 2 SKUs × 4 days = 24 rows, 5 a page.
    expect(records).toHaveLength(24);
    expect(pages).toBe(5);
    expect(retried).toEqual(['BigQuery.jobs.getQueryResults rateLimitExceeded']);
    for (const { record } of records) expect(focusRecordProblems(record), JSON.stringify(record)).toEqual([]);
  });

  it('maps the committed a3-highgpu-8g GPU day to FOCUS, column by column', async () => {
    const { records } = await collectCosts('2026-11-19', '2026-11-20');
    const gpu = records.find((r) => r.record.ResourceName === 'a3-train-01' && r.record.ChargeDescription?.startsWith('Nvidia'))!;
    // 8 GPUs × 24 h = 192 GPU-hours × 9.79655 = 1880.9376; committed-use credit −30% = −564.28128.
    expect(gpu.record).toEqual({
      BilledCost: '1880.9376',
      BillingAccountId: '01A2B3-C4D5E6-F7A8B9',
      BillingAccountName: 'Example billing',
      BillingCurrency: 'USD',
      BillingPeriodStart: '2026-11-01T00:00:00Z',
      BillingPeriodEnd: '2026-12-01T00:00:00Z',
      ChargeCategory: 'Usage',
      ChargeClass: null,
      ChargeDescription: 'Nvidia H100 80GB GPU running in Americas',
      ChargePeriodStart: '2026-11-19T00:00:00Z',
      ChargePeriodEnd: '2026-11-20T00:00:00Z',
      ContractedCost: '1880.9376',
      EffectiveCost: '1316.65632',
      InvoiceIssuerName: 'Google',
      ListCost: '1880.9376',
      PricingQuantity: '192',
      PricingUnit: 'hour',
      ProviderName: 'Google Cloud',
      PublisherName: 'Google',
      ServiceCategory: 'Compute',
      ServiceName: 'Compute Engine',
      AvailabilityZone: 'us-central1-a',
      ChargeFrequency: 'Usage-Based',
      CommitmentDiscountId: null,
      CommitmentDiscountType: null,
      ConsumedQuantity: '691200',
      ConsumedUnit: 'seconds',
      ContractedUnitPrice: null,
      ListUnitPrice: null,
      PricingCategory: 'Standard',
      RegionId: 'us-central1',
      ResourceId: '//compute.googleapis.com/projects/123456789012/zones/us-central1-a/instances/4815162342001',
      ResourceName: 'a3-train-01',
      ResourceType: 'compute.googleapis.com/instances',
      SkuId: gpu.record.SkuId,
      SkuPriceId: null,
      SubAccountId: 'ml-research-prod',
      SubAccountName: 'ML research',
      Tags: { team: 'research', workload: 'pretrain' },
      x_CostType: 'regular',
      x_InstanceType: 'a3-highgpu-8g',
      x_GpuModel: 'H100',
      x_GpuCount: 8,
      x_DerivedColumns: ['ContractedCost'],
    });
    expect(gpu.record.SkuId).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/);
    // The L4 inference host: 2 GPUs × 18 h × 0.672 = 24.192, labelled.
    const l4 = records.find(
      (r) => r.record.ResourceName === 'g2-infer-01' && r.record.x_GpuModel === 'L4' && r.record.ChargeDescription?.startsWith('Nvidia'),
    )!;
    expect(l4.record).toMatchObject({
      BilledCost: '24.192',
      EffectiveCost: '24.192',
      PricingQuantity: '36',
      Tags: { team: 'inference' },
      SubAccountId: 'inference-prod',
    });
    // Spot A100 80GB: priced below list, Dynamic.
    const spot = records.find((r) => r.record.ResourceName === 'a2-ultra-spot-01' && r.record.ChargeDescription?.includes('GPU'))!;
    expect(spot.record.PricingCategory).toBe('Dynamic');
  });

  it('gives the same keys with new amounts when a day is restated, and nothing new on a plain re-run', async () => {
    const first = byKey((await collectCosts('2026-11-19', '2026-11-23')).records);
    const rerun = byKey((await collectCosts('2026-11-19', '2026-11-23')).records);
    expect([...rerun.entries()].map(([k, r]) => [k, r.record])).toEqual([...first.entries()].map(([k, r]) => [k, r.record]));
    const key = [...first.values()].find(
      (r) =>
        r.record.ResourceName === 'a3-train-01' &&
        r.record.ChargePeriodStart === '2026-11-21T00:00:00Z' &&
        r.record.x_GpuCount === 8 &&
        r.record.ChargeDescription?.startsWith('Nvidia'),
    )!.key.value;
    // 21 of 24 hours: 8 × 21 × 9.79655 = 1645.8204.
    expect(first.get(key)!.record.BilledCost).toBe('1645.8204');
    providers.controls.restate();
    try {
      const restated = byKey((await collectCosts('2026-11-19', '2026-11-23')).records);
      expect([...restated.keys()].sort()).toEqual([...first.keys()].sort());
      expect(restated.get(key)!.record).toMatchObject({ BilledCost: '1880.9376', EffectiveCost: '1316.65632' });
    } finally {
      providers.organization.revision = 0;
    }
  });

  it('retries rateLimitExceeded, then succeeds', async () => {
    providers.controls.throttle('gcp-bigquery', 2);
    expect((await collectCosts('2026-11-19', '2026-11-20')).records).toHaveLength(6);
    expect(providers.controls.requests('gcp-bigquery')).toBe(2 + 2);
  });

  it('gives up on a persistent 500 with a clear error', async () => {
    providers.controls.fail('gcp-bigquery', 'always');
    const error = await failureOf(() => collectCosts('2026-11-19', '2026-11-20'));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.message).toMatch(/^BigQuery\.jobs\.query failed after 4 attempts in \d+ ms \(HTTP 500 backendError\)/);
  });

  it('turns a malformed body into a malformed_reply error, on the first page and on a later one', async () => {
    providers.controls.malformed('gcp-bigquery', 1);
    expect(await failureOf(() => collectCosts('2026-11-19', '2026-11-20'))).toMatchObject({ kind: 'malformed_reply', status: 502 });
    // A later page: let jobs.query through, then break getQueryResults.
    const pages = fetchBigQueryPages(
      bigQuery(),
      gcpBillingExportQuery({ table: providers.accounts.gcp.exportTable, start: '2026-11-19', end: '2026-11-23' }),
      fastRetry,
    );
    const first = await pages.next();
    expect(first.done).toBe(false);
    providers.controls.malformed('gcp-bigquery', 1);
    const error = await failureOf(() => pages.next());
    expect(error).toMatchObject({ kind: 'malformed_reply' });
    expect(error.message).toMatch(/BigQuery\.jobs\.getQueryResults/);
  });
});

describe('Cloud Billing Catalog adapter (REST transport) against the local server', () => {
  const catalog = () =>
    createCloudCatalogClient({
      endpoint: providers.endpoints.LEDGER_GCP_BILLING_ENDPOINT,
      authClient: staticGoogleAuthClient('local-token'),
    });

  async function points() {
    const pages = await collect(fetchGcpSkuPages(catalog(), { pageSize: 10 }, fastRetry));
    return { pages, points: pages.flatMap((p) => p.skus.flatMap((sku, i) => pricePointsFromGcpSku(sku, i))) };
  }

  it('follows nextPageToken and reads GPU SKU prices (units + nanos) per region', async () => {
    const { pages, points: all } = await points();
    // 2 locations × (6 models × 2 + 2 commitments + core + RAM) = 32 SKUs, 10 a page.
    expect(pages).toHaveLength(4);
    const h100 = all.filter((p) => p.gpuModel === 'H100' && p.region === 'us-central1');
    const line = (category: string) =>
      h100.filter((p) => p.pricingCategory === category).map((p) => `${p.term ?? '-'} ${p.pricePerHour} ${p.sku}`);
    expect(line('on-demand')).toEqual([expect.stringMatching(/^- 9\.79655 [0-9A-F]{4}-/)]);
    // 63% of 9.79655 = 6.1718265, six places half-even: 6.171826.
    expect(line('reserved')).toEqual([expect.stringMatching(/^1yr 6\.171826 /)]);
    // Spot: 30-45% of list.
    const spot = h100.find((p) => p.pricingCategory === 'spot')!;
    expect(Number(spot.pricePerHour)).toBeGreaterThanOrEqual(2.938965);
    expect(Number(spot.pricePerHour)).toBeLessThan(4.4084475);
    // Americas GPU SKUs are offered in three regions, EMEA ones in one: (12 + 2) × 3 + (12 + 2) × 1.
    expect(all).toHaveLength(56);
  });

  it('retries RESOURCE_EXHAUSTED, gives up on a persistent INTERNAL, refuses a malformed body', async () => {
    providers.controls.throttle('gcp-cloud-catalog', 2);
    expect((await points()).points).toHaveLength(56);
    providers.controls.fail('gcp-cloud-catalog', 'always');
    const failure = await failureOf(() => points());
    expect(failure).toMatchObject({ kind: 'unavailable' });
    expect(failure.message).toMatch(/CloudCatalog\.listSkus failed after 4 attempts .*HTTP 500 INTERNAL/);
    providers.controls.reset();
    providers.controls.malformed('gcp-cloud-catalog', 1);
    expect(await failureOf(() => points())).toMatchObject({ kind: 'malformed_reply' });
  });
});
