import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticTokenCredential } from '../../shared/adapters/azure/azure-credential.js';
import { azureCostQueryDefinition, createCostManagementClient, fetchAzureCostPages } from '../../shared/adapters/azure/cost-management.js';
import { azureGpuPriceFilter, fetchAzureRetailPricePages } from '../../shared/adapters/azure/retail-prices.js';
import { focusRecordProblems } from '../../shared/domain/costs/focus.js';
import { joinAzureCostPages } from '../../shared/domain/costs/focus-azure.js';
import { pricePointFromAzureRetailItem } from '../../shared/domain/market/price-points.js';
import { ProviderError } from '../../shared/domain/providers/provider-errors.js';
import { startService } from '../../local/providers/http.js';
import { type LocalProviders, startLocalProviders } from '../../local/providers/index.js';
import { byKey, clock, collect, counting, failureOf, fastRetry } from './helpers.js';

let providers: LocalProviders;

beforeAll(async () => {
  providers = await startLocalProviders({ now: clock, pageSizes: { costManagement: 5, retailPrices: 4 } });
});
afterAll(() => providers.stop());
beforeEach(() => {
  providers.controls.reset();
  providers.controls.resetCounts();
});

const vm = (name: string, group = 'ml-training') =>
  `/subscriptions/00000000-aaaa-bbbb-cccc-000000000001/resourcegroups/${group}/providers/microsoft.compute/virtualmachines/${name}`;

function client() {
  return createCostManagementClient({
    endpoint: providers.endpoints.LEDGER_AZURE_ENDPOINT,
    credential: staticTokenCredential('local-token'),
  });
}

async function collectCosts(from: string, to: string, options = fastRetry) {
  const scope = providers.accounts.azure.scope;
  const actual = counting(
    fetchAzureCostPages(client(), { scope, definition: azureCostQueryDefinition({ type: 'ActualCost', from, to }) }, options),
  );
  const amortized = counting(
    fetchAzureCostPages(client(), { scope, definition: azureCostQueryDefinition({ type: 'AmortizedCost', from, to }) }, options),
  );
  const records = await collect(
    joinAzureCostPages(actual.pages, amortized.pages, {
      billingAccountId: providers.accounts.azure.subscriptionId,
      billingAccountName: 'ML platform',
      vmSizes: { [vm('gpu-h100-01')]: 'Standard_ND96isr_H100_v5', [vm('gpu-h100-02')]: 'Standard_ND96isr_H100_v5' },
    }),
  );
  return { records, actualPages: actual.count(), amortizedPages: amortized.count() };
}

describe('Cost Management adapter against the local server', () => {
  it('follows nextLink (POSTed with the same body) through every page of both cost types', async () => {
    const retried: number[] = [];
    const { records, actualPages, amortizedPages } = await collectCosts('2026-11-19', '2026-11-23', {
      ...fastRetry,
      onRetry: (e) => retried.push(e.failure.httpStatus ?? 0),
    });
    // Actual: 4 VMs a day (the reserved one at 0) = 16 rows; amortized adds the unused-reservation row each day.
    expect(actualPages).toBe(4);
    expect(amortizedPages).toBe(4);
    expect(records).toHaveLength(20);
    expect(retried).toEqual([429]);
    for (const { record } of records) expect(focusRecordProblems(record), JSON.stringify(record)).toEqual([]);
  });

  it('maps an on-demand GPU VM day to FOCUS, column by column', async () => {
    const { records } = await collectCosts('2026-11-19', '2026-11-20');
    const h100 = records.find((r) => r.record.ResourceName === 'gpu-h100-01')!;
    // 8 H100 × 12.29 $/GPU-h = 98.32 $/h × 24 h = 2359.68.
    expect(h100.record).toEqual({
      BilledCost: '2359.68',
      BillingAccountId: '00000000-aaaa-bbbb-cccc-000000000001',
      BillingAccountName: 'ML platform',
      BillingCurrency: 'USD',
      BillingPeriodStart: '2026-11-01T00:00:00Z',
      BillingPeriodEnd: '2026-12-01T00:00:00Z',
      ChargeCategory: 'Usage',
      ChargeClass: null,
      ChargeDescription: 'Virtual Machines, gpu-h100-01, OnDemand',
      ChargePeriodStart: '2026-11-19T00:00:00Z',
      ChargePeriodEnd: '2026-11-20T00:00:00Z',
      ContractedCost: '2359.68',
      EffectiveCost: '2359.68',
      InvoiceIssuerName: 'Microsoft',
      ListCost: '2359.68',
      PricingQuantity: null,
      PricingUnit: null,
      ProviderName: 'Microsoft',
      PublisherName: 'Microsoft',
      ServiceCategory: 'Compute',
      ServiceName: 'Virtual Machines',
      AvailabilityZone: null,
      ChargeFrequency: 'Usage-Based',
      CommitmentDiscountId: null,
      CommitmentDiscountType: null,
      ConsumedQuantity: null,
      ConsumedUnit: null,
      ContractedUnitPrice: null,
      ListUnitPrice: null,
      PricingCategory: 'Standard',
      RegionId: null,
      ResourceId: vm('gpu-h100-01'),
      ResourceName: 'gpu-h100-01',
      ResourceType: 'microsoft.compute/virtualmachines',
      SkuId: null,
      SkuPriceId: null,
      SubAccountId: '00000000-aaaa-bbbb-cccc-000000000001',
      SubAccountName: null,
      Tags: {},
      x_ResourceGroupName: 'ml-training',
      x_PricingModel: 'OnDemand',
      x_InstanceType: 'Standard_ND96isr_H100_v5',
      x_GpuModel: 'H100',
      x_GpuCount: 8,
      x_DerivedColumns: ['ContractedCost', 'ListCost'],
    });
    // Reserved VM: the term, round(98.32 × 8760 × 0.5916) = 509535, is 58.1661 $/h; 20 h used = 1163.322, 4 h unused = 232.6644.
    const reserved = records.find((r) => r.record.ResourceName === 'gpu-h100-02')!;
    expect(reserved.record).toMatchObject({
      BilledCost: '0',
      EffectiveCost: '1163.322',
      PricingCategory: 'Committed',
      ChargeCategory: 'Usage',
    });
    const unused = records.find((r) => r.record.ResourceId === null)!;
    expect(unused.record).toMatchObject({
      BilledCost: '0',
      EffectiveCost: '232.6644',
      PricingCategory: 'Committed',
      ChargeCategory: 'Usage',
    });
    // T4: 0.526 $/h × 10 h.
    expect(records.find((r) => r.record.ResourceName === 'gpu-t4-01')!.record.BilledCost).toBe('5.26');
  });

  it('bills the monthly reservation purchase on the first of the month, with no effective cost', async () => {
    const { records } = await collectCosts('2026-11-01', '2026-11-02');
    const purchase = records.find((r) => r.record.ChargeCategory === 'Purchase')!;
    // 509535 / 12 = 42461.25.
    expect(purchase.record).toMatchObject({
      BilledCost: '42461.25',
      EffectiveCost: '0',
      ResourceId: null,
      PricingCategory: 'Committed',
      ChargeFrequency: 'Recurring',
    });
  });

  it('gives the same keys with new amounts when a day is restated, and nothing new on a plain re-run', async () => {
    const first = byKey((await collectCosts('2026-11-19', '2026-11-23')).records);
    const rerun = byKey((await collectCosts('2026-11-19', '2026-11-23')).records);
    expect([...rerun.entries()].map(([k, r]) => [k, r.record])).toEqual([...first.entries()].map(([k, r]) => [k, r.record]));
    const key = [...first.values()].find(
      (r) => r.record.ResourceName === 'gpu-h100-01' && r.record.ChargePeriodStart === '2026-11-21T00:00:00Z',
    )!.key.value;
    // 21 of 24 hours had arrived: 98.32 × 21 = 2064.72.
    expect(first.get(key)!.record.BilledCost).toBe('2064.72');
    providers.controls.restate();
    try {
      const restated = byKey((await collectCosts('2026-11-19', '2026-11-23')).records);
      expect([...restated.keys()].sort()).toEqual([...first.keys()].sort());
      expect(restated.get(key)!.record.BilledCost).toBe('2359.68');
    } finally {
      providers.organization.revision = 0;
    }
  });

  it('honours the Cost Management retry-after headers when throttled', async () => {
    providers.controls.throttle('azure-cost-management', 1, 1);
    const waits: number[] = [];
    const started = Date.now();
    await collectCosts('2026-11-19', '2026-11-20', { ...fastRetry, onRetry: (e) => waits.push(e.delayMs) });
    expect(waits).toEqual([1000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('gives up on a persistent 500 with a clear error', async () => {
    providers.controls.fail('azure-cost-management', 'always');
    const error = await failureOf(() => collectCosts('2026-11-19', '2026-11-20'));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.message).toMatch(/^CostManagement\.Query\.usage failed after 4 attempts in \d+ ms \(HTTP 500 InternalServerError\)/);
  });

  it('turns a malformed body into a malformed_reply error', async () => {
    providers.controls.malformed('azure-cost-management', 1);
    expect(await failureOf(() => collectCosts('2026-11-19', '2026-11-20'))).toMatchObject({ kind: 'malformed_reply', status: 502 });
    expect(providers.controls.requests('azure-cost-management')).toBe(1);
  });

  it('does not follow a nextLink to another host', async () => {
    // A server whose nextLink points elsewhere: the bearer token must not follow it.
    const elsewhere = await startService(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        properties: {
          nextLink: 'https://attacker.example/query?$skiptoken=x',
          columns: [
            { name: 'Cost', type: 'Number' },
            { name: 'UsageDate', type: 'Number' },
            { name: 'Currency', type: 'String' },
          ],
          rows: [],
        },
      }),
    }));
    try {
      const otherClient = createCostManagementClient({ endpoint: elsewhere.url, credential: staticTokenCredential('t') });
      const error = await failureOf(() =>
        collect(
          fetchAzureCostPages(
            otherClient,
            {
              scope: '/subscriptions/1',
              definition: azureCostQueryDefinition({ type: 'ActualCost', from: '2026-11-19', to: '2026-11-23' }),
            },
            fastRetry,
          ),
        ),
      );
      expect(error).toMatchObject({ kind: 'malformed_reply' });
      expect(error.message).toMatch(/nextLink leaves http:\/\/127\.0\.0\.1/);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('Retail Prices adapter against the local server', () => {
  const settings = () => ({ endpoint: providers.endpoints.LEDGER_AZURE_PRICES_ENDPOINT });
  const filter = azureGpuPriceFilter('eastus', ['Standard_ND96isr_H100_v5', 'Standard_NC24ads_A100_v4']);

  async function points() {
    const pages = await collect(fetchAzureRetailPricePages(settings(), { filter }, fastRetry));
    return {
      pages,
      points: pages.flatMap((p) => p.Items.map((item, i) => pricePointFromAzureRetailItem(item, i)).filter((x) => x !== null)),
    };
  }

  it('follows NextPageLink and keeps Linux on-demand, spot and reservation prices', async () => {
    const { pages, points: all } = await points();
    // 2 sizes × 7 items (on-demand, spot, low priority, Windows, DevTest, 1yr, 3yr), 4 a page.
    expect(pages).toHaveLength(4);
    expect(all.map((p) => `${p.instanceType} ${p.pricingCategory} ${p.term ?? '-'} ${p.pricePerHour} ${p.pricePerGpuHour}`)).toEqual([
      'Standard_ND96isr_H100_v5 on-demand - 98.32 12.29',
      'Standard_ND96isr_H100_v5 spot - 39.328 4.916',
      // 509535 / 8760 = 58.166095890410958... → 58.166095890411; per GPU 7.270761986301.
      'Standard_ND96isr_H100_v5 reserved 1yr 58.166095890411 7.270761986301',
      // round(98.32 × 26280 × 0.4) = 1033540 over 26280 hours = 39.328006088280...
      'Standard_ND96isr_H100_v5 reserved 3yr 39.32800608828 4.916000761035',
      'Standard_NC24ads_A100_v4 on-demand - 3.673 3.673',
      'Standard_NC24ads_A100_v4 spot - 1.4692 1.4692',
      // round(3.673 × 8760 × 0.5916) = 19035 / 8760 = 2.172945205479...
      'Standard_NC24ads_A100_v4 reserved 1yr 2.172945205479 2.172945205479',
      // round(3.673 × 26280 × 0.4) = 38611 / 26280 = 1.469216133942...
      'Standard_NC24ads_A100_v4 reserved 3yr 1.469216133942 1.469216133942',
    ]);
  });

  it('retries 429 with Retry-After, gives up on a persistent 500, refuses a malformed body', async () => {
    providers.controls.throttle('azure-retail-prices', 2);
    expect((await points()).points).toHaveLength(8);
    providers.controls.fail('azure-retail-prices', 'always');
    expect(await failureOf(() => points())).toMatchObject({ kind: 'unavailable' });
    providers.controls.reset();
    providers.controls.malformed('azure-retail-prices', 1);
    expect(await failureOf(() => points())).toMatchObject({ kind: 'malformed_reply' });
  });
});
