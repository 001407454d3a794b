import { describe, expect, it } from 'vitest';
import { focusRecordProblems } from './focus.js';
import {
  type AwsCostAndUsagePage,
  awsChargeCategory,
  awsPricingCategory,
  normalizeAwsCostPage,
  normalizeAwsCostPages,
} from './focus-aws.js';
import { ProviderError } from '../providers/provider-errors.js';

const context = { billingAccountId: '111122223333', billingAccountName: 'Example Org' };

const page: AwsCostAndUsagePage = {
  GroupDefinitions: [
    { Type: 'DIMENSION', Key: 'RESOURCE_ID' },
    { Type: 'DIMENSION', Key: 'PURCHASE_TYPE' },
  ],
  ResultsByTime: [
    {
      Estimated: true,
      TimePeriod: { Start: '2026-11-01', End: '2026-11-02' },
      Total: {},
      Groups: [
        {
          Keys: ['i-0a1b2c3d4e5f60001', 'Spot Instances'],
          Metrics: {
            UnblendedCost: { Amount: '568.08', Unit: 'USD' },
            AmortizedCost: { Amount: '568.08', Unit: 'USD' },
            NetUnblendedCost: { Amount: '551.0376', Unit: 'USD' },
            UsageQuantity: { Amount: '24', Unit: 'Hrs' },
          },
        },
        {
          Keys: ['NoResourceId', 'On Demand Instances'],
          Metrics: { UnblendedCost: { Amount: '0.0000001', Unit: 'USD' }, UsageQuantity: { Amount: '3', Unit: 'N/A' } },
        },
      ],
    },
  ],
};

describe('normalizeAwsCostPage', () => {
  it('maps a resource group to FOCUS, column by column', () => {
    const [first] = normalizeAwsCostPage(page, { ...context, serviceName: 'Amazon Elastic Compute Cloud - Compute' });
    const r = first!.record;
    expect(r).toEqual({
      BilledCost: '568.08',
      BillingAccountId: '111122223333',
      BillingAccountName: 'Example Org',
      BillingCurrency: 'USD',
      BillingPeriodStart: '2026-11-01T00:00:00Z',
      BillingPeriodEnd: '2026-12-01T00:00:00Z',
      ChargeCategory: 'Usage',
      ChargeClass: null,
      ChargeDescription: 'Amazon Elastic Compute Cloud - Compute, Spot Instances',
      ChargePeriodStart: '2026-11-01T00:00:00Z',
      ChargePeriodEnd: '2026-11-02T00:00:00Z',
      ContractedCost: '551.0376',
      EffectiveCost: '568.08',
      InvoiceIssuerName: 'Amazon Web Services',
      ListCost: '568.08',
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
      PricingCategory: 'Dynamic',
      RegionId: null,
      ResourceId: 'i-0a1b2c3d4e5f60001',
      ResourceName: 'i-0a1b2c3d4e5f60001',
      ResourceType: 'EC2 Instance',
      SkuId: null,
      SkuPriceId: null,
      SubAccountId: null,
      SubAccountName: null,
      Tags: {},
      x_Estimated: true,
      x_PricingModel: 'Spot Instances',
      x_DerivedColumns: ['ListCost'],
    });
    expect(focusRecordProblems(r)).toEqual([]);
    expect(first!.key.value).toMatch(/^aws#111122223333#2026-11-01T00:00:00Z#[0-9a-f]{32}$/);
  });

  it('derives missing cost columns and drops mixed-unit quantities', () => {
    const [, second] = normalizeAwsCostPage(page, context);
    expect(second!.record).toMatchObject({
      BilledCost: '0.0000001',
      EffectiveCost: '0.0000001',
      ContractedCost: '0.0000001',
      ListCost: '0.0000001',
      ResourceId: null,
      PricingCategory: 'Standard',
      PricingQuantity: null,
      ServiceName: 'AWS',
      x_DerivedColumns: ['EffectiveCost', 'ContractedCost', 'ListCost'],
    });
  });

  it('reads tags, services, accounts, instance types and record types', () => {
    const records = normalizeAwsCostPage(
      {
        GroupDefinitions: [
          { Type: 'DIMENSION', Key: 'LINKED_ACCOUNT' },
          { Type: 'TAG', Key: 'Environment' },
        ],
        DimensionValueAttributes: [{ Value: '444455556666', Attributes: { description: 'ml-training' } }],
        ResultsByTime: [
          {
            TimePeriod: { Start: '2026-11-30', End: '2026-12-01' },
            Groups: [
              { Keys: ['444455556666', 'Environment$prod'], Metrics: { UnblendedCost: { Amount: '1320.4812', Unit: 'USD' } } },
              { Keys: ['444455556666', 'Environment$'], Metrics: { UnblendedCost: { Amount: '1', Unit: 'USD' } } },
            ],
          },
        ],
      },
      context,
    );
    expect(records[0]!.record).toMatchObject({
      SubAccountId: '444455556666',
      SubAccountName: 'ml-training',
      Tags: { Environment: 'prod' },
      x_Estimated: false,
    });
    expect(records[1]!.record.Tags).toEqual({});
    expect(records[0]!.key.value).not.toBe(records[1]!.key.value);

    const [typed] = normalizeAwsCostPage(
      {
        GroupDefinitions: [
          { Type: 'DIMENSION', Key: 'INSTANCE_TYPE' },
          { Type: 'DIMENSION', Key: 'RECORD_TYPE' },
        ],
        ResultsByTime: [
          {
            TimePeriod: { Start: '2026-11-01', End: '2026-11-02' },
            Groups: [{ Keys: ['p5.48xlarge', 'RIFee'], Metrics: { UnblendedCost: { Amount: '10', Unit: 'USD' } } }],
          },
        ],
      },
      context,
    );
    expect(typed!.record).toMatchObject({
      x_InstanceType: 'p5.48xlarge',
      x_GpuModel: 'H100',
      x_GpuCount: 8,
      ChargeCategory: 'Purchase',
      ChargeFrequency: 'Recurring',
      x_ProviderDimensions: { RECORD_TYPE: 'RIFee' },
    });
  });

  it('reads an ungrouped Total', () => {
    const records = normalizeAwsCostPage(
      {
        ResultsByTime: [
          { TimePeriod: { Start: '2026-11-01', End: '2026-11-02' }, Total: { UnblendedCost: { Amount: '12.5', Unit: 'USD' } }, Groups: [] },
        ],
      },
      context,
    );
    expect(records).toHaveLength(1);
    expect(records[0]!.record.BilledCost).toBe('12.5');
  });

  it('keeps the key when only amounts and Estimated change (a restated day)', () => {
    const restated = structuredClone(page);
    restated.ResultsByTime![0]!.Estimated = false;
    restated.ResultsByTime![0]!.Groups![0]!.Metrics!.UnblendedCost!.Amount = '590.25';
    const before = normalizeAwsCostPage(page, context);
    const after = normalizeAwsCostPage(restated, context);
    expect(after.map((r) => r.key.value)).toEqual(before.map((r) => r.key.value));
    expect(after[0]!.record.BilledCost).toBe('590.25');
    expect(after[0]!.record.x_Estimated).toBe(false);
  });

  it('turns malformed replies into ProviderError naming the place', () => {
    const bad = structuredClone(page);
    bad.ResultsByTime![0]!.Groups![0]!.Metrics!.UnblendedCost!.Amount = 'twelve';
    expect(() => normalizeAwsCostPage(bad, context)).toThrow(ProviderError);
    try {
      normalizeAwsCostPage(bad, context);
    } catch (error) {
      expect((error as ProviderError).kind).toBe('malformed_reply');
      expect((error as ProviderError).info.path).toBe('ResultsByTime[0].Groups[0].Metrics.UnblendedCost.Amount');
    }
    expect(() => normalizeAwsCostPage({} as AwsCostAndUsagePage, context)).toThrow(/ResultsByTime is missing/);
    expect(() => normalizeAwsCostPage({ ...page, GroupDefinitions: [{ Type: 'DIMENSION', Key: 'SERVICE' }] }, context)).toThrow(
      /Keys do not match/,
    );
    expect(() =>
      normalizeAwsCostPage(
        { ResultsByTime: [{ TimePeriod: { Start: 'x', End: '2026-11-02' }, Total: { UnblendedCost: { Amount: '1', Unit: 'USD' } } }] },
        context,
      ),
    ).toThrow(/TimePeriod/);
  });

  it('streams pages, carrying GroupDefinitions forward', async () => {
    async function* pages() {
      yield page;
      yield { ResultsByTime: page.ResultsByTime };
    }
    const out = [];
    for await (const record of normalizeAwsCostPages(pages(), context)) out.push(record);
    expect(out).toHaveLength(4);
    expect(out[2]!.key.value).toBe(out[0]!.key.value);
  });
});

describe('AWS enumerations', () => {
  it('maps purchase and record types', () => {
    expect(awsPricingCategory('On Demand Instances')).toBe('Standard');
    expect(awsPricingCategory('Spot Instances')).toBe('Dynamic');
    expect(awsPricingCategory('Standard Reserved Instances')).toBe('Committed');
    expect(awsPricingCategory('Savings Plans')).toBe('Committed');
    expect(awsPricingCategory('Dedicated Usage')).toBe('Other');
    expect(awsChargeCategory('Tax').category).toBe('Tax');
    expect(awsChargeCategory('Credit').category).toBe('Credit');
    expect(awsChargeCategory('SavingsPlanUpfrontFee')).toEqual({ category: 'Purchase', frequency: 'One-Time' });
  });
});
