import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AwsResourceCostQuery,
  awsDailyCostQuery,
  createCostExplorerClient,
  fetchAwsCostPages,
  fetchAwsResourceCostPages,
} from '../../shared/adapters/aws/cost-explorer.js';
import { focusRecordProblems } from '../../shared/domain/costs/focus.js';
import { normalizeAwsCostPages } from '../../shared/domain/costs/focus-aws.js';
import { ProviderError } from '../../shared/domain/providers/provider-errors.js';
import { type LocalProviders, startLocalProviders } from '../../local/providers/index.js';
import { byKey, clock, collect, counting, failureOf, fastRetry, localAwsCredentials } from './helpers.js';

let providers: LocalProviders;
const context = { billingAccountId: '111122223333', billingAccountName: 'Example Org' };

beforeAll(async () => {
  providers = await startLocalProviders({ now: clock, pageSizes: { costExplorer: 4 } });
});
afterAll(() => providers.stop());
beforeEach(() => {
  providers.controls.reset();
  providers.controls.resetCounts();
});

function client() {
  return createCostExplorerClient({ endpoint: providers.endpoints.AWS_ENDPOINT_URL_COST_EXPLORER, credentials: localAwsCredentials });
}

// Per-instance cost for the last days: GetCostAndUsageWithResources grouped by RESOURCE_ID and PURCHASE_TYPE.
const resourceQuery: AwsResourceCostQuery = {
  TimePeriod: { Start: '2026-11-19', End: '2026-11-23' },
  Granularity: 'DAILY',
  Metrics: ['UnblendedCost', 'AmortizedCost', 'NetUnblendedCost', 'UsageQuantity'],
  GroupBy: [
    { Type: 'DIMENSION', Key: 'RESOURCE_ID' },
    { Type: 'DIMENSION', Key: 'PURCHASE_TYPE' },
  ],
  Filter: { Dimensions: { Key: 'SERVICE', Values: ['Amazon Elastic Compute Cloud - Compute'] } },
};

async function collectResources(options = fastRetry) {
  const counted = counting(fetchAwsResourceCostPages(client(), resourceQuery, options));
  const records = await collect(
    normalizeAwsCostPages(counted.pages, { ...context, serviceName: 'Amazon Elastic Compute Cloud - Compute' }),
  );
  return { records, pages: counted.count() };
}

describe('Cost Explorer adapter against the local server', () => {
  it('follows NextPageToken through every page, riding out the scenario throttled page', async () => {
    const retried: string[] = [];
    const { records, pages } = await collectResources({
      ...fastRetry,
      onRetry: (e) => retried.push(`${e.failure.kind}:${e.failure.providerCode}`),
    });
    // 4 days × (5 instances + the RI fee line) = 24 groups, 4 a page.
    expect(records).toHaveLength(24);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(pages).toBe(6);
    expect(retried).toEqual(['throttled:LimitExceededException']);
    for (const { record } of records) expect(focusRecordProblems(record), JSON.stringify(record)).toEqual([]);
  });

  it('maps the on-demand p5.48xlarge day to FOCUS, column by column', async () => {
    const { records } = await collectResources();
    const p5 = records.find((r) => r.record.ResourceId === 'i-0a1b2c3d4e5f60001' && r.record.ChargePeriodStart === '2026-11-19T00:00:00Z')!;
    // 55.04 $/h × 24 h = 1320.96; net of the 3% discount 1281.3312.
    expect(p5.record).toEqual({
      BilledCost: '1320.96',
      BillingAccountId: '111122223333',
      BillingAccountName: 'Example Org',
      BillingCurrency: 'USD',
      BillingPeriodStart: '2026-11-01T00:00:00Z',
      BillingPeriodEnd: '2026-12-01T00:00:00Z',
      ChargeCategory: 'Usage',
      ChargeClass: null,
      ChargeDescription: 'Amazon Elastic Compute Cloud - Compute, On Demand Instances',
      ChargePeriodStart: '2026-11-19T00:00:00Z',
      ChargePeriodEnd: '2026-11-20T00:00:00Z',
      ContractedCost: '1281.3312',
      EffectiveCost: '1320.96',
      InvoiceIssuerName: 'Amazon Web Services',
      ListCost: '1320.96',
      PricingQuantity: '24',
      PricingUnit: 'Hrs',
      ProviderName: 'AWS',
      PublisherName: 'Amazon Web Services',
      ServiceCategory: 'Compute',
      ServiceName: 'Amazon Elastic Compute Cloud - Compute',
      AvailabilityZone: null,
      ChargeFrequency: 'Usage-Based',
      CommitmentDiscountId: null,
      CommitmentDiscountType: null,
      ConsumedQuantity: '24',
      ConsumedUnit: 'Hrs',
      ContractedUnitPrice: null,
      ListUnitPrice: null,
      PricingCategory: 'Standard',
      RegionId: null,
      ResourceId: 'i-0a1b2c3d4e5f60001',
      ResourceName: 'i-0a1b2c3d4e5f60001',
      ResourceType: 'EC2 Instance',
      SkuId: null,
      SkuPriceId: null,
      SubAccountId: null,
      SubAccountName: null,
      Tags: {},
      x_Estimated: false,
      x_PricingModel: 'On Demand Instances',
      x_DerivedColumns: ['ListCost'],
    });
    // The reserved p5: billed nothing, amortized 38.528 $/h (70% of 55.04) × 22 h = 847.616.
    const reserved = records.find(
      (r) => r.record.ResourceId === 'i-0a1b2c3d4e5f60002' && r.record.ChargePeriodStart === '2026-11-19T00:00:00Z',
    )!;
    expect(reserved.record).toMatchObject({
      BilledCost: '0',
      EffectiveCost: '847.616',
      PricingCategory: 'Committed',
      PricingQuantity: '22',
    });
    // The RI fee: 38.528 × 24 = 924.672 billed; the unused 2 h amortize to 77.056.
    const fee = records.find((r) => r.record.ResourceId === null && r.record.ChargePeriodStart === '2026-11-19T00:00:00Z')!;
    expect(fee.record).toMatchObject({ BilledCost: '924.672', EffectiveCost: '77.056' });
  });

  it('groups by service and tag with GetCostAndUsage', async () => {
    const pages = fetchAwsCostPages(
      client(),
      awsDailyCostQuery('2026-11-19', '2026-11-20', [
        { Type: 'DIMENSION', Key: 'LINKED_ACCOUNT' },
        { Type: 'TAG', Key: 'team' },
      ]),
      fastRetry,
    );
    const records = await collect(normalizeAwsCostPages(pages, context));
    const inference = records.find((r) => r.record.SubAccountId === '777788889999')!;
    // g6e.12xlarge 4 × 1.861 = 7.444 $/h × 24 = 178.656; g5.12xlarge spot that day is seeded.
    expect(inference.record.SubAccountName).toBe('inference');
    expect(inference.record.Tags).toEqual({ team: 'inference' });
    expect(Number(inference.record.BilledCost)).toBeGreaterThan(178.656);
  });

  it('gives the same keys with new amounts when a day is restated, and nothing new on a plain re-run', async () => {
    const first = byKey((await collectResources()).records);
    const rerun = byKey((await collectResources()).records);
    expect([...rerun.keys()]).toEqual([...first.keys()]);
    expect([...rerun.values()].map((r) => r.record)).toEqual([...first.values()].map((r) => r.record));

    // 2026-11-21 is the restated day: 21 of 24 hours had arrived, and it was Estimated.
    const restatedKey = [...first.values()].find(
      (r) => r.record.ResourceId === 'i-0a1b2c3d4e5f60001' && r.record.ChargePeriodStart === '2026-11-21T00:00:00Z',
    )!.key.value;
    expect(first.get(restatedKey)!.record).toMatchObject({ BilledCost: '1155.84', PricingQuantity: '21', x_Estimated: true });
    providers.controls.restate();
    try {
      const restated = byKey((await collectResources()).records);
      expect([...restated.keys()].sort()).toEqual([...first.keys()].sort());
      expect(restated.get(restatedKey)!.record).toMatchObject({ BilledCost: '1320.96', PricingQuantity: '24', x_Estimated: false });
      const changed = [...restated.values()].filter((r) => JSON.stringify(r.record) !== JSON.stringify(first.get(r.key.value)!.record));
      expect(changed.every((r) => r.record.ChargePeriodStart === '2026-11-21T00:00:00Z')).toBe(true);
    } finally {
      providers.organization.revision = 0;
    }
  });

  it('retries throttling, then succeeds', async () => {
    providers.controls.throttle('aws-cost-explorer', 3);
    const { records } = await collectResources();
    expect(records).toHaveLength(24);
    expect(providers.controls.requests('aws-cost-explorer')).toBe(6 + 3);
  });

  it('gives up on a persistent 500 with a clear error', async () => {
    providers.controls.fail('aws-cost-explorer', 'always');
    const error = await failureOf(() => collectResources());
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'unavailable', status: 502, code: 'provider_unavailable' });
    expect(error.message).toMatch(
      /^CostExplorer\.GetCostAndUsageWithResources failed after 4 attempts in \d+ ms \(HTTP 500 InternalServerError\)/,
    );
    expect(providers.controls.requests('aws-cost-explorer')).toBe(4);
  });

  it('turns a malformed body into a malformed_reply error, without retrying', async () => {
    providers.controls.malformed('aws-cost-explorer', 1);
    const error = await failureOf(() => collectResources());
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.kind).toBe('malformed_reply');
    expect(providers.controls.requests('aws-cost-explorer')).toBe(1);
  });

  it('is reached through the SDK’s own AWS_ENDPOINT_URL_COST_EXPLORER when no endpoint is given', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_COST_EXPLORER;
    process.env.AWS_ENDPOINT_URL_COST_EXPLORER = providers.endpoints.AWS_ENDPOINT_URL_COST_EXPLORER;
    try {
      const viaEnvironment = createCostExplorerClient({ credentials: localAwsCredentials });
      const pages = await collect(fetchAwsCostPages(viaEnvironment, awsDailyCostQuery('2026-11-19', '2026-11-20', []), fastRetry));
      expect(pages[0]!.ResultsByTime![0]!.Total!.UnblendedCost!.Amount).toMatch(/^\d+\.\d+$/);
      expect(providers.controls.requests('aws-cost-explorer')).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_COST_EXPLORER;
      else process.env.AWS_ENDPOINT_URL_COST_EXPLORER = saved;
    }
  });

  it('refuses an impossible query with a rejected error', async () => {
    const error = await failureOf(() => collect(fetchAwsCostPages(client(), awsDailyCostQuery('2026-11-20', '2026-11-19', []), fastRetry)));
    expect(error).toMatchObject({ kind: 'rejected' });
    expect(error.message).toMatch(/ValidationException/);
  });
});
