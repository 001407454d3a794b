import { describe, expect, it } from 'vitest';
import { bigQueryTimestampMs, compileBigQueryRowDecoder } from './bigquery-rows.js';
import { focusRecordProblems, type KeyedFocusRecord } from './focus.js';
import {
  type BigQueryResultPage,
  type GcpBillingRow,
  gcpBillingColumns,
  gcpBillingResultSchema,
  gcpBillingQuery,
  gcpBillingRowFromExport,
  gcpChargeCategory,
  gcpPricingCategory,
  normalizeGcpBillingPages,
  normalizeGcpBillingRow,
} from './focus-gcp.js';
import { ProviderError } from '../providers/provider-errors.js';

const schema = gcpBillingResultSchema;

const row: GcpBillingRow = {
  billing_account_id: '01A2B3-C4D5E6-F7A8B9',
  service_id: '6F81-5844-456A',
  service_description: 'Compute Engine',
  sku_id: 'ABCD-1234-EF56',
  sku_description: 'Nvidia H100 80GB GPU running in Americas',
  charge_period_start: '1793404800000000', // 2026-10-31T00:00:00Z in microseconds
  charge_period_end: '1793491200000000',
  project_id: 'ml-research-prod',
  project_name: 'ML research',
  region: 'us-central1',
  zone: 'us-central1-a',
  resource_name: 'a3-train-01',
  resource_global_name: '//compute.googleapis.com/projects/123456789012/zones/us-central1-a/instances/4815162342',
  machine_spec: 'a3-highgpu-8g',
  labels_json: '[{"key":"team","value":"research"},{"key":"workload","value":"pretrain"}]',
  currency: 'USD',
  cost_type: 'regular',
  usage_unit: 'seconds',
  pricing_unit: 'hour',
  usage_amount: '691200',
  usage_amount_in_pricing_units: '192',
  cost: '1880.9376',
  cost_at_list: '1880.9376',
  credits_amount: '-564.28128',
  invoice_month: '202610',
};

function toBigQueryRow(values: GcpBillingRow) {
  return { f: gcpBillingColumns.map((c) => ({ v: values[c] })) };
}

async function collect(iterable: AsyncIterable<KeyedFocusRecord>) {
  const out: KeyedFocusRecord[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('normalizeGcpBillingRow', () => {
  it('maps a billing-export row to FOCUS, column by column', () => {
    const { key, record } = normalizeGcpBillingRow(row, { billingAccountName: 'Example billing' });
    expect(record).toEqual({
      BilledCost: '1880.9376',
      BillingAccountId: '01A2B3-C4D5E6-F7A8B9',
      BillingAccountName: 'Example billing',
      BillingCurrency: 'USD',
      BillingPeriodStart: '2026-10-01T00:00:00Z',
      BillingPeriodEnd: '2026-11-01T00:00:00Z',
      ChargeCategory: 'Usage',
      ChargeClass: null,
      ChargeDescription: 'Nvidia H100 80GB GPU running in Americas',
      ChargePeriodStart: '2026-10-31T00:00:00Z',
      ChargePeriodEnd: '2026-11-01T00:00:00Z',
      ContractedCost: '1880.9376',
      // 1880.9376 − 564.28128 = 1316.65632
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
      ResourceId: '//compute.googleapis.com/projects/123456789012/zones/us-central1-a/instances/4815162342',
      ResourceName: 'a3-train-01',
      ResourceType: 'compute.googleapis.com/instances',
      SkuId: 'ABCD-1234-EF56',
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
    expect(focusRecordProblems(record)).toEqual([]);
    expect(key.value).toMatch(/^gcp#01A2B3-C4D5E6-F7A8B9#2026-10-31T00:00:00Z#[0-9a-f]{32}$/);
  });

  it('keeps the key when a late adjustment restates the amounts', () => {
    const before = normalizeGcpBillingRow(row);
    const after = normalizeGcpBillingRow({ ...row, cost: '1900.5', credits_amount: '-570' });
    expect(after.key.value).toBe(before.key.value);
    expect(after.record.EffectiveCost).toBe('1330.5');
  });

  it('tells spot, commitment, tax and missing list cost apart', () => {
    const spot = normalizeGcpBillingRow({
      ...row,
      sku_description: 'Spot Preemptible Nvidia H100 80GB GPU running in Americas',
      machine_spec: null,
      cost_at_list: null,
    });
    expect(spot.record).toMatchObject({
      PricingCategory: 'Dynamic',
      x_GpuModel: 'H100',
      x_GpuCount: null,
      ListCost: '1880.9376',
      x_DerivedColumns: ['ContractedCost', 'ListCost'],
    });
    expect(gcpPricingCategory('Commitment v1: A3 Cores')).toBe('Committed');
    expect(gcpChargeCategory('tax')).toBe('Tax');
    expect(gcpChargeCategory('rounding_error')).toBe('Adjustment');
    const hourly = normalizeGcpBillingRow({ ...row, charge_period_start: '1.7934048E9', charge_period_end: '2026-10-31 01:00:00' });
    expect(hourly.record.ChargePeriodEnd).toBe('2026-10-31T01:00:00Z');
  });

  it('refuses malformed rows', () => {
    expect(() => normalizeGcpBillingRow({ ...row, cost: 'abc' })).toThrow(ProviderError);
    expect(() => normalizeGcpBillingRow({ ...row, charge_period_start: 'yesterday' })).toThrow(/TIMESTAMP/);
    expect(() => normalizeGcpBillingRow({ ...row, labels_json: '{' })).toThrow(/labels_json/);
    expect(() => normalizeGcpBillingRow({ ...row, currency: '' })).toThrow(/currency/);
  });
});

describe('normalizeGcpBillingPages', () => {
  it('decodes f/v rows page by page', async () => {
    const pages: BigQueryResultPage[] = [
      { schema, rows: [toBigQueryRow(row)] },
      { schema, rows: [] },
      { schema, rows: [toBigQueryRow({ ...row, resource_name: 'a3-train-02', resource_global_name: null, labels_json: null })] },
    ];
    async function* source() {
      yield* pages;
    }
    const out = await collect(normalizeGcpBillingPages(source()));
    expect(out).toHaveLength(2);
    expect(out[0]!.record.EffectiveCost).toBe('1316.65632');
    expect(out[1]!.record).toMatchObject({ ResourceId: 'a3-train-02', Tags: {} });
  });

  it('refuses a result without the expected columns', async () => {
    async function* source() {
      yield { schema: { fields: [{ name: 'cost', type: 'NUMERIC' }] }, rows: [{ f: [{ v: '1' }] }] };
    }
    await expect(collect(normalizeGcpBillingPages(source()))).rejects.toThrow(/lacks columns/);
  });
});

describe('BigQuery rows', () => {
  it('decodes nested and repeated fields, keeping numbers as strings', () => {
    const decode = compileBigQueryRowDecoder({
      fields: [
        { name: 'cost', type: 'FLOAT' },
        {
          name: 'service',
          type: 'RECORD',
          fields: [
            { name: 'id', type: 'STRING' },
            { name: 'description', type: 'STRING' },
          ],
        },
        {
          name: 'credits',
          type: 'RECORD',
          mode: 'REPEATED',
          fields: [
            { name: 'name', type: 'STRING' },
            { name: 'amount', type: 'FLOAT' },
          ],
        },
        { name: 'tags', type: 'STRING', mode: 'REPEATED' },
      ],
    });
    expect(
      decode(
        {
          f: [
            { v: '1.2E-7' },
            { v: { f: [{ v: '6F81' }, { v: 'Compute Engine' }] } },
            { v: [{ v: { f: [{ v: 'CUD' }, { v: '-0.5' }] } }] },
            { v: [{ v: 'a' }, { v: 'b' }] },
          ],
        },
        'rows[0]',
      ),
    ).toEqual({
      cost: '1.2E-7',
      service: { id: '6F81', description: 'Compute Engine' },
      credits: [{ name: 'CUD', amount: '-0.5' }],
      tags: ['a', 'b'],
    });
    expect(() => decode({ f: [{ v: '1' }] }, 'rows[1]')).toThrow(ProviderError);
    expect(() => compileBigQueryRowDecoder(undefined)).toThrow(/schema/);
  });

  it('reads TIMESTAMP in its three wire forms', () => {
    const ms = Date.UTC(2026, 9, 31);
    expect(bigQueryTimestampMs('1793404800000000')).toBe(ms);
    expect(bigQueryTimestampMs('1.7934048E9')).toBe(ms);
    expect(bigQueryTimestampMs('2026-10-31 00:00:00')).toBe(ms);
    expect(bigQueryTimestampMs('2026-10-31T00:00:00Z')).toBe(ms);
  });

  it('reads a raw export row into the query shape', () => {
    const raw = gcpBillingRowFromExport({
      billing_account_id: '01A2B3-C4D5E6-F7A8B9',
      service: { id: '6F81-5844-456A', description: 'Compute Engine' },
      sku: { id: 'ABCD-1234-EF56', description: 'Nvidia H100 80GB GPU running in Americas' },
      usage_start_time: '1793404800000000',
      usage_end_time: '1793408400000000',
      project: { id: 'ml-research-prod', name: 'ML research', labels: [] },
      labels: [
        { key: 'workload', value: 'pretrain' },
        { key: 'team', value: 'research' },
      ],
      system_labels: [{ key: 'compute.googleapis.com/machine_spec', value: 'a3-highgpu-8g' }],
      location: { region: 'us-central1', zone: 'us-central1-a' },
      resource: { name: 'a3-train-01', global_name: '//compute.googleapis.com/projects/1/zones/us-central1-a/instances/2' },
      cost: '78.3724',
      cost_at_list: '78.3724',
      currency: 'USD',
      usage: { amount: '28800', unit: 'seconds', amount_in_pricing_units: '8', pricing_unit: 'hour' },
      credits: [
        { name: 'Committed use discount', amount: '-20.1', type: 'COMMITTED_USAGE_DISCOUNT' },
        { name: 'Sustained use', amount: '-3.4', type: 'SUSTAINED_USAGE_DISCOUNT' },
      ],
      invoice: { month: '202610' },
      cost_type: 'regular',
    });
    const { record } = normalizeGcpBillingRow(raw);
    expect(record).toMatchObject({
      BilledCost: '78.3724',
      EffectiveCost: '54.8724',
      ChargePeriodEnd: '2026-10-31T01:00:00Z',
      Tags: { team: 'research', workload: 'pretrain' },
      x_InstanceType: 'a3-highgpu-8g',
      PricingQuantity: '8',
    });
  });

  it('writes a grouped, parameterized query over the export table', () => {
    const sql = gcpBillingQuery('billing-proj.billing.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9');
    expect(sql).toContain('@start');
    expect(sql).toContain('TIMESTAMP_TRUNC(usage_start_time, DAY)');
    expect(sql).toContain('SUM(CAST(c.amount AS NUMERIC))');
    // Partition pruning: only partitions exported from the day before @start on are read.
    expect(sql).toContain('AND _PARTITIONTIME >= TIMESTAMP_SUB(TIMESTAMP_TRUNC(@start, DAY), INTERVAL 1 DAY)');
    for (const column of gcpBillingColumns) expect(sql).toContain(column);
    expect(() => gcpBillingQuery('x`; DROP TABLE y')).toThrow(RangeError);
  });
});
