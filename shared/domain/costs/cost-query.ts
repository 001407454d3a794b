import { z } from 'zod';
import { badRequest } from '../../errors.js';
import { csvCell } from '../core/csv.js';
import type { FocusRecord } from './focus.js';
import { addDecimal, formatDecimal, parseDecimal, ZERO, type Decimal } from '../core/money.js';
import { DAY_MS } from '../core/utc-time.js';

/** `GET /v1/costs` and `GET /v1/costs/export`: sums of FOCUS costs over a window, grouped by one dimension. */
const day = z.iso.date({ message: 'must be a date, YYYY-MM-DD' });

export const costGroupBySchema = z
  .string()
  .regex(
    /^(ServiceName|ServiceCategory|RegionId|ResourceId|SubAccountId|ProviderName|ChargeCategory|PricingCategory|x_GpuModel|tag:[A-Za-z0-9_.:/=+\-@ ]{1,128})$/,
    {
      message:
        'must be ServiceName, ServiceCategory, RegionId, ResourceId, SubAccountId, ProviderName, ChargeCategory, PricingCategory, x_GpuModel or tag:<key>',
    },
  );

export const costQuerySchema = z.object({
  from: day.describe('first charge day (inclusive)'),
  to: day.describe('last charge day (exclusive)'),
  provider: z.enum(['aws', 'azure', 'gcp']).optional(),
  groupBy: costGroupBySchema.default('ServiceName'),
});
export type CostQueryInput = z.infer<typeof costQuerySchema>;

export const costExportQuerySchema = costQuerySchema
  .omit({ groupBy: true })
  .extend({ format: z.literal('csv', { message: "format: only 'csv' is offered" }).default('csv') });

export const MAX_COST_WINDOW_DAYS = 400;

export function checkCostWindow(query: { from: string; to: string }): void {
  const from = Date.parse(`${query.from}T00:00:00Z`);
  const to = Date.parse(`${query.to}T00:00:00Z`);
  if (from >= to) throw badRequest('from: must be before to', { path: 'from' });
  if ((to - from) / DAY_MS > MAX_COST_WINDOW_DAYS)
    throw badRequest(`from: the window may span at most ${MAX_COST_WINDOW_DAYS} days`, { path: 'from' });
}

export interface CostGroup {
  key: string | null;
  currency: string;
  billedCost: string;
  effectiveCost: string;
  listCost: string;
  records: number;
}

export interface CostReport {
  from: string;
  to: string;
  groupBy: string;
  groups: CostGroup[];
  totals: Omit<CostGroup, 'key'>[];
}

function groupValue(record: FocusRecord, groupBy: string): string | null {
  if (groupBy.startsWith('tag:')) return record.Tags[groupBy.slice(4)] ?? null;
  const value = record[groupBy as keyof FocusRecord];
  return value === null || value === undefined ? null : String(value);
}

interface Sums {
  billed: Decimal;
  effective: Decimal;
  list: Decimal;
  records: number;
}

/** Exact sums per group and currency; groups sorted by effective cost, largest first. */
export async function summarizeCosts(
  records: AsyncIterable<FocusRecord> | Iterable<FocusRecord>,
  query: CostQueryInput,
): Promise<CostReport> {
  const groups = new Map<string, { key: string | null; currency: string; sums: Sums }>();
  const totals = new Map<string, Sums>();
  const add = (sums: Sums, r: FocusRecord) => {
    sums.billed = addDecimal(sums.billed, parseDecimal(r.BilledCost));
    sums.effective = addDecimal(sums.effective, parseDecimal(r.EffectiveCost));
    sums.list = addDecimal(sums.list, parseDecimal(r.ListCost));
    sums.records += 1;
  };
  const empty = (): Sums => ({ billed: ZERO, effective: ZERO, list: ZERO, records: 0 });
  for await (const record of records) {
    const key = groupValue(record, query.groupBy);
    const id = `${record.BillingCurrency}\u0000${key ?? '\u0001'}`;
    let group = groups.get(id);
    if (!group) {
      group = { key, currency: record.BillingCurrency, sums: empty() };
      groups.set(id, group);
    }
    add(group.sums, record);
    let total = totals.get(record.BillingCurrency);
    if (!total) totals.set(record.BillingCurrency, (total = empty()));
    add(total, record);
  }
  const shape = (currency: string, s: Sums) => ({
    currency,
    billedCost: formatDecimal(s.billed),
    effectiveCost: formatDecimal(s.effective),
    listCost: formatDecimal(s.list),
    records: s.records,
  });
  return {
    from: query.from,
    to: query.to,
    groupBy: query.groupBy,
    groups: [...groups.values()]
      .sort((a, b) =>
        b.sums.effective > a.sums.effective ? 1 : b.sums.effective < a.sums.effective ? -1 : (a.key ?? '').localeCompare(b.key ?? ''),
      )
      .map((g) => ({ key: g.key, ...shape(g.currency, g.sums) })),
    totals: [...totals].map(([currency, s]) => shape(currency, s)),
  };
}

/** FOCUS columns in export order: mandatory, then conditional, then tags and provider extras. */
export const focusCsvColumns = [
  'BilledCost',
  'BillingAccountId',
  'BillingAccountName',
  'BillingCurrency',
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargeFrequency',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ContractedCost',
  'EffectiveCost',
  'InvoiceIssuerName',
  'ListCost',
  'PricingQuantity',
  'PricingUnit',
  'ProviderName',
  'PublisherName',
  'ServiceCategory',
  'ServiceName',
  'AvailabilityZone',
  'CommitmentDiscountId',
  'CommitmentDiscountType',
  'ConsumedQuantity',
  'ConsumedUnit',
  'ContractedUnitPrice',
  'ListUnitPrice',
  'PricingCategory',
  'RegionId',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'SkuId',
  'SkuPriceId',
  'SubAccountId',
  'SubAccountName',
  'Tags',
  'x_Estimated',
  'x_GpuModel',
  'x_GpuCount',
  'x_InstanceType',
  'x_UsageType',
  'x_CostType',
  'x_PricingModel',
] as const;

export function focusCsvHeader(): string {
  return `${focusCsvColumns.join(',')}\r\n`;
}

export function focusCsvRow(record: FocusRecord): string {
  return `${focusCsvColumns.map((c) => csvCell(record[c as keyof FocusRecord])).join(',')}\r\n`;
}
