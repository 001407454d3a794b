import {
  type ChargeCategory,
  type FocusRecord,
  type FocusRecordKey,
  type KeyedFocusRecord,
  type PricingCategory,
  calendarMonthOf,
  decimalField,
  emptyFocusRecord,
  focusRecordKey,
  isoSecondUtc,
  serviceCategoryOf,
} from './focus.js';
import { gpuMachineType } from '../providers/gpu-catalog.js';
import { formatDecimal, parseDecimal } from '../core/money.js';
import { malformedReply } from '../providers/provider-errors.js';
import { DAY_MS } from '../core/utc-time.js';

/**
 * Azure Cost Management Query replies → FOCUS records. A reply holds positional `rows` described by
 * `columns`; the actual-cost query gives BilledCost and the amortized-cost query EffectiveCost, so the two are
 * joined on the record key (`joinAzureCostPages`).
 */
export interface AzureQueryColumn {
  name?: string;
  type?: string;
}
export interface AzureQueryPage {
  columns?: AzureQueryColumn[];
  rows?: unknown[][];
  nextLink?: string | null;
}

export type AzureCostType = 'ActualCost' | 'AmortizedCost';

export interface AzureCostContext {
  /** The billing account, or the subscription id when the scope is a subscription. */
  billingAccountId: string;
  billingAccountName?: string | null;
  /** VM size by lower-cased resource id, from an inventory, when the query does not group by meter. */
  vmSizes?: Record<string, string>;
  operation?: string;
}

/** One row read into FOCUS dimensions and one cost: the actual or the amortized side of a record. */
export interface AzureCostRow {
  key: FocusRecordKey;
  record: FocusRecord;
  cost: bigint;
}

const OPERATION = 'CostManagement.Query.usage';
const costColumns = ['Cost', 'PreTaxCost', 'CostInBillingCurrency'];

/** Azure PricingModel → FOCUS PricingCategory. */
export function azurePricingCategory(pricingModel: string): PricingCategory {
  switch (pricingModel.toLowerCase()) {
    case 'ondemand':
    case 'on demand':
      return 'Standard';
    case 'spot':
      return 'Dynamic';
    case 'reservation':
    case 'savingsplan':
    case 'savings plan':
      return 'Committed';
    default:
      return 'Other';
  }
}

/** Azure ChargeType → FOCUS ChargeCategory. */
export function azureChargeCategory(chargeType: string): ChargeCategory {
  switch (chargeType.toLowerCase()) {
    case 'usage':
    case 'unusedreservation':
    case 'unusedsavingsplan':
      return 'Usage';
    case 'purchase':
      return 'Purchase';
    case 'refund':
      return 'Credit';
    case 'tax':
      return 'Tax';
    default:
      return 'Adjustment';
  }
}

const serviceByResourceType: Record<string, string> = {
  'microsoft.compute/virtualmachines': 'Virtual Machines',
  'microsoft.compute/virtualmachinescalesets': 'Virtual Machine Scale Sets',
  'microsoft.compute/disks': 'Storage',
  'microsoft.storage/storageaccounts': 'Storage',
  'microsoft.containerservice/managedclusters': 'Azure Kubernetes Service',
  'microsoft.machinelearningservices/workspaces': 'Azure Machine Learning',
  'microsoft.network/publicipaddresses': 'Virtual Network',
};

/** `/subscriptions/<id>/resourceGroups/<rg>/providers/<ns>/<type>/<name>` → its parts. */
export function parseAzureResourceId(resourceId: string): {
  subscriptionId: string | null;
  resourceGroup: string | null;
  type: string | null;
  name: string | null;
} {
  const parts = resourceId.split('/').filter((p) => p !== '');
  const find = (label: string) => {
    const i = parts.findIndex((p) => p.toLowerCase() === label);
    return i >= 0 && i + 1 < parts.length ? parts[i + 1]! : null;
  };
  const providersAt = parts.findIndex((p) => p.toLowerCase() === 'providers');
  let type: string | null = null;
  let name: string | null = null;
  if (providersAt >= 0 && providersAt + 3 < parts.length) {
    const rest = parts.slice(providersAt + 1);
    const typeParts = [rest[0]!];
    for (let i = 1; i < rest.length; i += 2) typeParts.push(rest[i]!);
    type = typeParts.join('/');
    name = rest[rest.length - 1] ?? null;
  }
  return { subscriptionId: find('subscriptions'), resourceGroup: find('resourcegroups'), type, name };
}

type RowReader = (row: unknown[], rowPath: string) => AzureCostRow;

/** Compiles the reader of one page's rows from its columns. */
function rowReader(columns: AzureQueryColumn[], costType: AzureCostType, context: AzureCostContext, operation: string): RowReader {
  const at = new Map<string, number>();
  columns.forEach((column, i) => {
    if (typeof column?.name !== 'string') throw malformedReply('azure', operation, 'a column has no name', `properties.columns[${i}]`);
    at.set(column.name, i);
  });
  const costAt = costColumns.map((c) => at.get(c)).find((i) => i !== undefined);
  if (costAt === undefined)
    throw malformedReply('azure', operation, `no cost column (one of ${costColumns.join(', ')})`, 'properties.columns');
  const dateAt = at.get('UsageDate') ?? at.get('BillingMonth');
  if (dateAt === undefined) throw malformedReply('azure', operation, 'no UsageDate or BillingMonth column', 'properties.columns');
  const monthly = !at.has('UsageDate');
  const currencyAt = at.get('Currency') ?? at.get('BillingCurrency');
  const handled = new Set([
    ...costColumns,
    'CostUSD',
    'PreTaxCostUSD',
    'UsageDate',
    'BillingMonth',
    'Currency',
    'BillingCurrency',
    'UsageQuantity',
    'ResourceId',
    'ResourceLocation',
    'ServiceName',
    'MeterCategory',
    'MeterId',
    'PricingModel',
    'ChargeType',
    'ReservationId',
    'BenefitId',
    'SubscriptionId',
    'SubscriptionName',
    'ResourceGroupName',
    'ResourceGroup',
    'ResourceType',
    'TagKey',
    'TagValue',
    'MeterSubCategory',
  ]);
  const extraColumns = [...at.entries()].filter(([name]) => !handled.has(name));
  const text = (row: unknown[], name: string): string | null => {
    const i = at.get(name);
    if (i === undefined) return null;
    const value = row[i];
    return value === null || value === undefined || value === '' ? null : String(value);
  };

  return (row, rowPath) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      throw malformedReply(
        'azure',
        operation,
        `row has ${Array.isArray(row) ? row.length : 'no'} values for ${columns.length} columns`,
        rowPath,
      );
    }
    const record = emptyFocusRecord('azure');
    const { start, end } = chargePeriod(row[dateAt], monthly, `${rowPath}[${dateAt}]`, operation);
    const month = calendarMonthOf(start);
    record.BillingAccountId = context.billingAccountId;
    record.BillingAccountName = context.billingAccountName ?? null;
    record.BillingPeriodStart = month.start;
    record.BillingPeriodEnd = month.end;
    record.ChargePeriodStart = isoSecondUtc(start);
    record.ChargePeriodEnd = isoSecondUtc(end);
    const currency = currencyAt === undefined ? null : row[currencyAt];
    if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) {
      throw malformedReply(
        'azure',
        operation,
        `expected a currency code, got ${JSON.stringify(currency)}`,
        `${rowPath}[${currencyAt ?? '?'}]`,
      );
    }
    record.BillingCurrency = currency.toUpperCase();
    const cost = parseDecimal(decimalField(row[costAt], 'azure', operation, `${rowPath}[${costAt}]`));

    const resourceId = text(row, 'ResourceId');
    if (resourceId) {
      const parsed = parseAzureResourceId(resourceId);
      record.ResourceId = resourceId;
      record.ResourceName = parsed.name;
      record.ResourceType = parsed.type;
      record.SubAccountId = parsed.subscriptionId;
      record.x_ResourceGroupName = parsed.resourceGroup;
    }
    record.ResourceType = text(row, 'ResourceType') ?? record.ResourceType;
    record.SubAccountId = text(row, 'SubscriptionId') ?? record.SubAccountId;
    record.SubAccountName = text(row, 'SubscriptionName');
    record.x_ResourceGroupName = text(row, 'ResourceGroupName') ?? text(row, 'ResourceGroup') ?? record.x_ResourceGroupName ?? null;
    const location = text(row, 'ResourceLocation');
    record.RegionId = location ? location.toLowerCase().replace(/\s+/g, '') : null;
    record.ServiceName =
      text(row, 'ServiceName') ??
      text(row, 'MeterCategory') ??
      (record.ResourceType ? serviceByResourceType[record.ResourceType.toLowerCase()] : undefined) ??
      'Azure';
    record.ServiceCategory = serviceCategoryOf(record.ServiceName);
    record.SkuId = text(row, 'MeterId');
    const meter = text(row, 'Meter');
    const vmSize = (resourceId ? context.vmSizes?.[resourceId.toLowerCase()] : undefined) ?? vmSizeFromMeter(meter);
    const gpu = gpuMachineType('azure', vmSize);
    if (vmSize) record.x_InstanceType = gpu?.name ?? vmSize;
    if (gpu) {
      record.x_GpuModel = gpu.gpuModel;
      record.x_GpuCount = gpu.gpuCount;
    }

    const pricingModel = text(row, 'PricingModel');
    if (pricingModel) {
      record.x_PricingModel = pricingModel;
      record.PricingCategory = azurePricingCategory(pricingModel);
    }
    const chargeType = text(row, 'ChargeType');
    if (chargeType) record.ChargeCategory = azureChargeCategory(chargeType);
    else if (!resourceId && costType === 'ActualCost' && record.PricingCategory === 'Committed') {
      // Without a ChargeType column, a committed-pricing row with no resource in the actual-cost view is the
      // reservation or savings-plan purchase itself.
      record.ChargeCategory = 'Purchase';
    }
    record.ChargeFrequency =
      record.ChargeCategory === 'Purchase' ? 'Recurring' : record.ChargeCategory === 'Usage' ? 'Usage-Based' : 'One-Time';
    const commitmentId = text(row, 'ReservationId') ?? text(row, 'BenefitId');
    if (commitmentId) {
      record.CommitmentDiscountId = commitmentId;
      record.CommitmentDiscountType = pricingModel?.toLowerCase() === 'savingsplan' ? 'Savings Plan' : 'Reservation';
    }
    const tagKey = text(row, 'TagKey');
    const tagValue = text(row, 'TagValue');
    if (tagKey && tagValue !== null) record.Tags[tagKey] = tagValue;

    const quantityAt = at.get('UsageQuantity');
    const unit = text(row, 'UnitOfMeasure');
    if (quantityAt !== undefined && unit) {
      const quantity = decimalField(row[quantityAt], 'azure', operation, `${rowPath}[${quantityAt}]`);
      record.PricingQuantity = quantity;
      record.PricingUnit = unit;
      record.ConsumedQuantity = quantity;
      record.ConsumedUnit = unit;
    }
    if (extraColumns.length > 0 || text(row, 'MeterSubCategory')) {
      const extra: Record<string, string> = {};
      for (const [name, i] of extraColumns) extra[name] = row[i] === null || row[i] === undefined ? '' : String(row[i]);
      const sub = text(row, 'MeterSubCategory');
      if (sub) extra.MeterSubCategory = sub;
      record.x_ProviderDimensions = extra;
    }
    record.ChargeDescription = [record.ServiceName, meter, record.ResourceName, pricingModel].filter(Boolean).join(', ');
    return { key: focusRecordKey('azure', record), record, cost };
  };
}

function chargePeriod(value: unknown, monthly: boolean, path: string, operation: string): { start: number; end: number } {
  if (!monthly) {
    const digits = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
    const match = /^(\d{4})(\d{2})(\d{2})$/.exec(digits);
    if (!match) throw malformedReply('azure', operation, `expected UsageDate as yyyymmdd, got ${JSON.stringify(value)}`, path);
    const start = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    if (new Date(start).getUTCDate() !== Number(match[3])) throw malformedReply('azure', operation, `no such date ${digits}`, path);
    return { start, end: start + DAY_MS };
  }
  const start = typeof value === 'string' ? Date.parse(value.endsWith('Z') ? value : `${value}Z`) : Number.NaN;
  if (Number.isNaN(start)) throw malformedReply('azure', operation, `expected BillingMonth as a date, got ${JSON.stringify(value)}`, path);
  const date = new Date(start);
  return { start, end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
}

/** Reads the rows of one page, one at a time. */
export function* readAzureCostRows(page: AzureQueryPage, costType: AzureCostType, context: AzureCostContext): Generator<AzureCostRow> {
  const operation = context.operation ?? OPERATION;
  if (typeof page !== 'object' || page === null) throw malformedReply('azure', operation, 'reply is not an object');
  if (!Array.isArray(page.columns)) throw malformedReply('azure', operation, 'columns is missing', 'properties.columns');
  if (!Array.isArray(page.rows)) throw malformedReply('azure', operation, 'rows is missing', 'properties.rows');
  const read = rowReader(page.columns, costType, context, operation);
  for (let i = 0; i < page.rows.length; i++) yield read(page.rows[i]!, `properties.rows[${i}]`);
}

/**
 * Joins the actual-cost and amortized-cost query results into keyed FOCUS records.
 *
 * The actual side is read first and held by key (one compact entry per distinct row: Azure query results are
 * aggregated per day and grouping, not line items); the amortized side then streams, each row completing
 * and releasing its actual entry, so only one side is ever held. Rows present on one side only keep zero on
 * the other: a reservation purchase has BilledCost and no EffectiveCost; its amortized share appears on the
 * usage rows. The same key twice in one side is a malformed reply (an aggregated query returns each group
 * once), as summing or replacing would both hide it.
 */
export async function* joinAzureCostPages(
  actualPages: AsyncIterable<AzureQueryPage>,
  amortizedPages: AsyncIterable<AzureQueryPage>,
  context: AzureCostContext,
): AsyncGenerator<KeyedFocusRecord> {
  const operation = context.operation ?? OPERATION;
  const pending = new Map<string, AzureCostRow>();
  for await (const page of actualPages) {
    for (const row of readAzureCostRows(page, 'ActualCost', context)) {
      if (pending.has(row.key.value)) throw duplicate(row, 'ActualCost', operation);
      pending.set(row.key.value, row);
    }
  }
  const emitted = new Set<string>();
  for await (const page of amortizedPages) {
    for (const row of readAzureCostRows(page, 'AmortizedCost', context)) {
      if (emitted.has(row.key.value)) throw duplicate(row, 'AmortizedCost', operation);
      emitted.add(row.key.value);
      const actual = pending.get(row.key.value);
      pending.delete(row.key.value);
      yield finish(actual?.record ?? row.record, actual?.cost ?? 0n, row.cost, row.key);
    }
  }
  for (const actual of pending.values()) yield finish(actual.record, actual.cost, 0n, actual.key);
}

function duplicate(row: AzureCostRow, costType: AzureCostType, operation: string) {
  return malformedReply(
    'azure',
    operation,
    `the ${costType} query returned the group ${row.record.ResourceId ?? '(no resource)'} of ${row.record.ChargePeriodStart} twice`,
  );
}

function finish(record: FocusRecord, billed: bigint, effective: bigint, key: FocusRecordKey): KeyedFocusRecord {
  record.BilledCost = formatDecimal(billed);
  record.EffectiveCost = formatDecimal(effective);
  // The Query API reports neither list nor contracted cost.
  record.ContractedCost = record.BilledCost;
  record.ListCost = record.BilledCost;
  record.x_DerivedColumns = ['ContractedCost', 'ListCost'];
  return { key, record };
}

/** "ND96isr H100 v5" (a VM meter name) → `Standard_ND96isr_H100_v5`, when that is a known GPU size. */
function vmSizeFromMeter(meter: string | null): string | null {
  if (!meter) return null;
  const size = `Standard_${meter
    .replace(/\s+(Spot|Low Priority)$/i, '')
    .trim()
    .replace(/\s+/g, '_')}`;
  return gpuMachineType('azure', size)?.name ?? null;
}
