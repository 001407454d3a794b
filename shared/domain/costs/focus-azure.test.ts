import { describe, expect, it } from 'vitest';
import { focusRecordProblems, type KeyedFocusRecord } from './focus.js';
import {
  type AzureQueryPage,
  azureChargeCategory,
  azurePricingCategory,
  joinAzureCostPages,
  parseAzureResourceId,
  readAzureCostRows,
} from './focus-azure.js';
import { ProviderError } from '../providers/provider-errors.js';

const sub = '00000000-aaaa-bbbb-cccc-000000000001';
const vm = `/subscriptions/${sub}/resourceGroups/ml-training/providers/Microsoft.Compute/virtualMachines/gpu-h100-01`;
const columns = [
  { name: 'Cost', type: 'Number' },
  { name: 'ResourceId', type: 'String' },
  { name: 'PricingModel', type: 'String' },
  { name: 'UsageDate', type: 'Number' },
  { name: 'Currency', type: 'String' },
];
const context = {
  billingAccountId: sub,
  billingAccountName: 'ML subscription',
  vmSizes: { [vm.toLowerCase()]: 'Standard_ND96isr_H100_v5' },
};

async function* pages(...list: AzureQueryPage[]) {
  yield* list;
}

async function collect(iterable: AsyncIterable<KeyedFocusRecord>) {
  const out: KeyedFocusRecord[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('joinAzureCostPages', () => {
  it('joins actual and amortized rows into one record, column by column', async () => {
    const actual: AzureQueryPage = {
      columns,
      rows: [
        [2359.68, vm, 'OnDemand', 20261101, 'USD'],
        [49000.5, '', 'Reservation', 20261101, 'USD'],
      ],
    };
    const amortized: AzureQueryPage = { columns, rows: [[2359.68, vm, 'OnDemand', 20261101, 'USD']] };
    const [usage, purchase] = await collect(joinAzureCostPages(pages(actual), pages(amortized), context));
    expect(usage!.record).toEqual({
      BilledCost: '2359.68',
      BillingAccountId: sub,
      BillingAccountName: 'ML subscription',
      BillingCurrency: 'USD',
      BillingPeriodStart: '2026-11-01T00:00:00Z',
      BillingPeriodEnd: '2026-12-01T00:00:00Z',
      ChargeCategory: 'Usage',
      ChargeClass: null,
      ChargeDescription: 'Virtual Machines, gpu-h100-01, OnDemand',
      ChargePeriodStart: '2026-11-01T00:00:00Z',
      ChargePeriodEnd: '2026-11-02T00:00:00Z',
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
      ResourceId: vm,
      ResourceName: 'gpu-h100-01',
      ResourceType: 'Microsoft.Compute/virtualMachines',
      SkuId: null,
      SkuPriceId: null,
      SubAccountId: sub,
      SubAccountName: null,
      Tags: {},
      x_ResourceGroupName: 'ml-training',
      x_PricingModel: 'OnDemand',
      x_InstanceType: 'Standard_ND96isr_H100_v5',
      x_GpuModel: 'H100',
      x_GpuCount: 8,
      x_DerivedColumns: ['ContractedCost', 'ListCost'],
    });
    expect(focusRecordProblems(usage!.record)).toEqual([]);
    // The reservation purchase has no resource; it is billed, and amortized into usage elsewhere.
    expect(purchase!.record).toMatchObject({
      ChargeCategory: 'Purchase',
      ChargeFrequency: 'Recurring',
      BilledCost: '49000.5',
      EffectiveCost: '0',
      PricingCategory: 'Committed',
    });
  });

  it('keeps an amortized-only row with zero billed cost (reserved usage)', async () => {
    const actual: AzureQueryPage = { columns, rows: [[0, vm, 'Reservation', 20261102, 'USD']] };
    const amortized: AzureQueryPage = { columns, rows: [[1612.8, vm, 'Reservation', 20261102, 'USD']] };
    const [record] = await collect(joinAzureCostPages(pages(actual), pages(amortized), context));
    expect(record!.record).toMatchObject({
      BilledCost: '0',
      EffectiveCost: '1612.8',
      PricingCategory: 'Committed',
      ChargeCategory: 'Usage',
    });
  });

  it('follows rows across pages and keeps keys stable on a restated day', async () => {
    const day1 = { columns, rows: [[10.25, vm, 'Spot', 20261103, 'USD']] };
    const day2 = { columns, rows: [[11.5, vm, 'Spot', 20261104, 'USD']] };
    const first = await collect(joinAzureCostPages(pages(day1, day2), pages(day1, day2), context));
    const restatedDay2 = { columns, rows: [[12.75, vm, 'Spot', 20261104, 'USD']] };
    const second = await collect(joinAzureCostPages(pages(day1, restatedDay2), pages(day1, restatedDay2), context));
    expect(second.map((r) => r.key.value)).toEqual(first.map((r) => r.key.value));
    expect(first.map((r) => r.record.BilledCost)).toEqual(['10.25', '11.5']);
    expect(second.map((r) => r.record.BilledCost)).toEqual(['10.25', '12.75']);
    expect(first[0]!.record.PricingCategory).toBe('Dynamic');
  });

  it('reads optional columns: location, meter, tags, quantity, charge type, reservation', () => {
    const page: AzureQueryPage = {
      columns: [
        { name: 'PreTaxCost', type: 'Number' },
        { name: 'UsageQuantity', type: 'Number' },
        { name: 'ResourceLocation', type: 'String' },
        { name: 'Meter', type: 'String' },
        { name: 'UnitOfMeasure', type: 'String' },
        { name: 'ChargeType', type: 'String' },
        { name: 'ReservationId', type: 'String' },
        { name: 'TagKey', type: 'String' },
        { name: 'TagValue', type: 'String' },
        { name: 'UsageDate', type: 'Number' },
        { name: 'Currency', type: 'String' },
      ],
      rows: [[98.32, 1, 'EastUS', 'ND96isr H100 v5', '1 Hour', 'Usage', 'r-1', 'team', 'research', '20261105', 'usd']],
    };
    const [row] = [...readAzureCostRows(page, 'ActualCost', { billingAccountId: sub })];
    expect(row!.cost).toBe(98_320_000_000_000n);
    expect(row!.record).toMatchObject({
      RegionId: 'eastus',
      PricingQuantity: '1',
      PricingUnit: '1 Hour',
      ConsumedQuantity: '1',
      ChargeCategory: 'Usage',
      CommitmentDiscountId: 'r-1',
      CommitmentDiscountType: 'Reservation',
      Tags: { team: 'research' },
      BillingCurrency: 'USD',
      x_InstanceType: 'Standard_ND96isr_H100_v5',
      x_GpuModel: 'H100',
      x_ProviderDimensions: { Meter: 'ND96isr H100 v5', UnitOfMeasure: '1 Hour' },
    });
  });

  it('refuses malformed replies with a ProviderError', async () => {
    const bad = (page: AzureQueryPage) => () => [...readAzureCostRows(page, 'ActualCost', { billingAccountId: sub })];
    expect(bad({ rows: [] })).toThrow(/columns is missing/);
    expect(bad({ columns, rows: [[1, vm, 'OnDemand', 20261101]] })).toThrow(/row has 4 values for 5 columns/);
    expect(bad({ columns, rows: [['abc', vm, 'OnDemand', 20261101, 'USD']] })).toThrow(ProviderError);
    expect(bad({ columns, rows: [[1, vm, 'OnDemand', 20261332, 'USD']] })).toThrow(/no such date/);
    expect(bad({ columns: columns.slice(1), rows: [] })).toThrow(/no cost column/);
    const twice = {
      columns,
      rows: [
        [1, vm, 'OnDemand', 20261101, 'USD'],
        [2, vm, 'OnDemand', 20261101, 'USD'],
      ],
    };
    await expect(collect(joinAzureCostPages(pages(twice), pages(), context))).rejects.toThrow(/twice/);
  });
});

describe('Azure helpers', () => {
  it('parses resource ids and enumerations', () => {
    expect(parseAzureResourceId(vm)).toEqual({
      subscriptionId: sub,
      resourceGroup: 'ml-training',
      type: 'Microsoft.Compute/virtualMachines',
      name: 'gpu-h100-01',
    });
    expect(
      parseAzureResourceId(
        `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/3`,
      ).type,
    ).toBe('Microsoft.Compute/virtualMachineScaleSets/virtualMachines');
    expect(azurePricingCategory('Spot')).toBe('Dynamic');
    expect(azurePricingCategory('SavingsPlan')).toBe('Committed');
    expect(azureChargeCategory('Refund')).toBe('Credit');
    expect(azureChargeCategory('RoundingAdjustment')).toBe('Adjustment');
  });
});
