import {
  type BigQueryCell,
  type BigQueryRecord,
  type BigQueryRow,
  type BigQuerySchema,
  type BigQueryValue,
  bigQueryTimestampMs,
  compileBigQueryRowDecoder,
} from './bigquery-rows.js';
import {
  type ChargeCategory,
  type FocusRecord,
  type KeyedFocusRecord,
  type PricingCategory,
  calendarMonthOf,
  emptyFocusRecord,
  isoSecondUtc,
  keyedFocusRecord,
  serviceCategoryOf,
} from './focus.js';
import { gcpGpuSkuFromDescription, gpuMachineType } from '../providers/gpu-catalog.js';
import { InvalidDecimalError, formatDecimal, isCanonicalDecimal, parseDecimal } from '../core/money.js';
import { malformedReply } from '../providers/provider-errors.js';

/**
 * Google Cloud billing export (BigQuery, `gcp_billing_export_resource_v1_<account>`) → FOCUS records.
 *
 * The collector does not read raw export rows: the export holds several rows for the same SKU, resource and
 * hour (late-arriving data is appended, never rewritten), so `gcpBillingQuery` sums them per charge period and
 * identifying dimensions, in NUMERIC (exact) rather than FLOAT64. Each result row is then one FOCUS record whose
 * key is stable across re-collections. `gcpBillingRowFromExport` reads a raw export row into the same shape.
 */
export interface GcpBillingRow {
  billing_account_id: string;
  service_id: string | null;
  service_description: string | null;
  sku_id: string | null;
  sku_description: string | null;
  /** TIMESTAMP (int64 microseconds, float seconds or ISO). */
  charge_period_start: string;
  charge_period_end: string;
  project_id: string | null;
  project_name: string | null;
  region: string | null;
  zone: string | null;
  resource_name: string | null;
  resource_global_name: string | null;
  /** `compute.googleapis.com/machine_spec` system label: `a3-highgpu-8g`. */
  machine_spec: string | null;
  /** TO_JSON_STRING(labels): `[{"key":"team","value":"research"}]`. */
  labels_json: string | null;
  currency: string;
  cost_type: string | null;
  usage_unit: string | null;
  pricing_unit: string | null;
  usage_amount: string | null;
  usage_amount_in_pricing_units: string | null;
  cost: string;
  cost_at_list: string | null;
  credits_amount: string | null;
  /** `202611`. */
  invoice_month: string | null;
}

export type GcpBillingGranularity = 'DAY' | 'HOUR';

/** The column list `gcpBillingQuery` selects, in order: the schema the normalizer expects. */
export const gcpBillingColumns = [
  'billing_account_id',
  'service_id',
  'service_description',
  'sku_id',
  'sku_description',
  'charge_period_start',
  'charge_period_end',
  'project_id',
  'project_name',
  'region',
  'zone',
  'resource_name',
  'resource_global_name',
  'machine_spec',
  'labels_json',
  'currency',
  'cost_type',
  'usage_unit',
  'pricing_unit',
  'usage_amount',
  'usage_amount_in_pricing_units',
  'cost',
  'cost_at_list',
  'credits_amount',
  'invoice_month',
] as const satisfies ReadonlyArray<keyof GcpBillingRow>;

const gcpBillingColumnTypes: Partial<Record<(typeof gcpBillingColumns)[number], string>> = {
  charge_period_start: 'TIMESTAMP',
  charge_period_end: 'TIMESTAMP',
  usage_amount: 'NUMERIC',
  usage_amount_in_pricing_units: 'NUMERIC',
  cost: 'NUMERIC',
  cost_at_list: 'NUMERIC',
  credits_amount: 'NUMERIC',
};

/** The result schema BigQuery gives `gcpBillingQuery`: its columns in order, typed as the SQL selects them. */
export const gcpBillingResultSchema = {
  fields: gcpBillingColumns.map((name) => ({ name, type: gcpBillingColumnTypes[name] ?? 'STRING', mode: 'NULLABLE' })),
};

/**
 * Standard SQL over the detailed (resource-level) billing export, for `@start <= usage_start_time < @end`
 * (TIMESTAMP parameters), reading only the partitions exported since the day before `@start`. `table` is `project.dataset.gcp_billing_export_resource_v1_XXXXXX_XXXXXX_XXXXXX`.
 */
export function gcpBillingQuery(table: string, granularity: GcpBillingGranularity = 'DAY'): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(table)) throw new RangeError(`Not a BigQuery table name: ${table}`);
  const unit = granularity === 'HOUR' ? 'HOUR' : 'DAY';
  return `-- compute-ledger: billing export by charge period
WITH line AS (
  SELECT
    billing_account_id,
    service.id AS service_id,
    service.description AS service_description,
    sku.id AS sku_id,
    sku.description AS sku_description,
    TIMESTAMP_TRUNC(usage_start_time, ${unit}) AS charge_period_start,
    project.id AS project_id,
    project.name AS project_name,
    location.region AS region,
    location.zone AS zone,
    resource.name AS resource_name,
    resource.global_name AS resource_global_name,
    (SELECT value FROM UNNEST(system_labels) WHERE key = 'compute.googleapis.com/machine_spec') AS machine_spec,
    TO_JSON_STRING(ARRAY(SELECT AS STRUCT key, value FROM UNNEST(labels) ORDER BY key)) AS labels_json,
    currency,
    cost_type,
    usage.unit AS usage_unit,
    usage.pricing_unit AS pricing_unit,
    CAST(usage.amount AS NUMERIC) AS usage_amount,
    CAST(usage.amount_in_pricing_units AS NUMERIC) AS usage_amount_in_pricing_units,
    CAST(cost AS NUMERIC) AS cost,
    CAST(cost_at_list AS NUMERIC) AS cost_at_list,
    IFNULL((SELECT SUM(CAST(c.amount AS NUMERIC)) FROM UNNEST(credits) AS c), 0) AS credits_amount,
    invoice.month AS invoice_month
  FROM \`${table}\`
  WHERE usage_start_time >= @start AND usage_start_time < @end
    -- The export tables are partitioned by export (ingestion) time, which never precedes usage: this bound
    -- prunes every older partition, so a re-collection scans days, not the whole history.
    AND _PARTITIONTIME >= TIMESTAMP_SUB(TIMESTAMP_TRUNC(@start, DAY), INTERVAL 1 DAY)
)
SELECT
  billing_account_id, service_id, service_description, sku_id, sku_description, charge_period_start,
  TIMESTAMP_ADD(charge_period_start, INTERVAL 1 ${unit}) AS charge_period_end,
  project_id, project_name, region, zone, resource_name, resource_global_name, machine_spec, labels_json,
  currency, cost_type, usage_unit, pricing_unit,
  SUM(usage_amount) AS usage_amount,
  SUM(usage_amount_in_pricing_units) AS usage_amount_in_pricing_units,
  SUM(cost) AS cost,
  SUM(cost_at_list) AS cost_at_list,
  SUM(credits_amount) AS credits_amount,
  invoice_month
FROM line
GROUP BY billing_account_id, service_id, service_description, sku_id, sku_description, charge_period_start,
  project_id, project_name, region, zone, resource_name, resource_global_name, machine_spec, labels_json,
  currency, cost_type, usage_unit, pricing_unit, invoice_month
ORDER BY charge_period_start, sku_id, resource_global_name`;
}

export interface GcpCostContext {
  billingAccountName?: string | null;
  operation?: string;
}

const OPERATION = 'BigQuery.jobs.getQueryResults';

/** Billing export cost_type → FOCUS ChargeCategory. */
export function gcpChargeCategory(costType: string | null): ChargeCategory {
  switch (costType) {
    case null:
    case 'regular':
      return 'Usage';
    case 'tax':
      return 'Tax';
    default:
      return 'Adjustment';
  }
}

/** FOCUS PricingCategory of a SKU description. */
export function gcpPricingCategory(skuDescription: string | null): PricingCategory {
  if (!skuDescription) return 'Standard';
  if (/\bcommitment\b/i.test(skuDescription)) return 'Committed';
  if (/\b(spot|preemptible)\b/i.test(skuDescription)) return 'Dynamic';
  return 'Standard';
}

const labelCache = new Map<string, Record<string, string>>();

function labelsFrom(json: string | null, path: string, operation: string): Record<string, string> {
  if (!json || json === '[]') return {};
  const cached = labelCache.get(json);
  if (cached) return { ...cached };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw malformedReply('gcp', operation, 'labels_json is not JSON', path, error);
  }
  if (!Array.isArray(parsed)) throw malformedReply('gcp', operation, 'labels_json is not an array', path);
  const tags: Record<string, string> = {};
  for (const item of parsed) {
    const key = (item as { key?: unknown })?.key;
    const value = (item as { value?: unknown })?.value;
    if (typeof key === 'string') tags[key] = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  }
  if (labelCache.size > 4096) labelCache.clear();
  labelCache.set(json, tags);
  return { ...tags };
}

function decimalOrNull(value: string | null, path: string, operation: string): bigint | null {
  if (value === null || value === undefined) return null;
  try {
    return parseDecimal(value);
  } catch (error) {
    if (error instanceof InvalidDecimalError)
      throw malformedReply('gcp', operation, `expected a decimal number, got ${JSON.stringify(value)}`, path);
    throw error;
  }
}

const timestampCache = new Map<string, number>();

function timestamp(value: string | null, path: string, operation: string): number {
  let ms = value === null ? Number.NaN : timestampCache.get(value);
  if (ms === undefined) {
    ms = bigQueryTimestampMs(value!);
    if (timestampCache.size >= 4096) timestampCache.clear();
    timestampCache.set(value!, ms);
  }
  if (Number.isNaN(ms)) throw malformedReply('gcp', operation, `expected a TIMESTAMP, got ${JSON.stringify(value)}`, path);
  return ms;
}

const invoiceMonths = new Map<string, { start: string; end: string }>();

function billingPeriod(invoiceMonth: string | null, chargeStart: number): { start: string; end: string } {
  if (invoiceMonth) {
    const cached = invoiceMonths.get(invoiceMonth);
    if (cached) return cached;
  }
  const match = invoiceMonth ? /^(\d{4})(\d{2})$/.exec(invoiceMonth) : null;
  if (!match) return calendarMonthOf(chargeStart);
  const period = calendarMonthOf(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  if (invoiceMonths.size >= 1024) invoiceMonths.clear();
  invoiceMonths.set(invoiceMonth!, period);
  return period;
}

/** The canonical decimal string of a value already parsed from `text`. */
function decimalText(text: string, value: bigint): string {
  return isCanonicalDecimal(text) ? text : formatDecimal(value);
}

function resourceTypeOf(globalName: string | null): string | null {
  // //compute.googleapis.com/projects/123/zones/us-central1-a/instances/4567 → compute.googleapis.com/instances
  const match = globalName ? /^\/\/([^/]+)\/(?:.*\/)?([^/]+)\/[^/]+$/.exec(globalName) : null;
  return match ? `${match[1]}/${match[2]}` : null;
}

/** One query-result row → a keyed FOCUS record. */
export function normalizeGcpBillingRow(row: GcpBillingRow, context: GcpCostContext = {}, path = 'row'): KeyedFocusRecord {
  const operation = context.operation ?? OPERATION;
  if (!row.billing_account_id) throw malformedReply('gcp', operation, 'billing_account_id is empty', `${path}.billing_account_id`);
  if (!row.currency || !/^[A-Za-z]{3}$/.test(row.currency))
    throw malformedReply('gcp', operation, `expected a currency code, got ${JSON.stringify(row.currency)}`, `${path}.currency`);
  const start = timestamp(row.charge_period_start, `${path}.charge_period_start`, operation);
  const end = timestamp(row.charge_period_end, `${path}.charge_period_end`, operation);
  if (end <= start) throw malformedReply('gcp', operation, 'charge period ends before it starts', `${path}.charge_period_end`);
  const cost = decimalOrNull(row.cost, `${path}.cost`, operation);
  if (cost === null) throw malformedReply('gcp', operation, 'cost is missing', `${path}.cost`);
  const credits = decimalOrNull(row.credits_amount, `${path}.credits_amount`, operation) ?? 0n;
  const listCost = decimalOrNull(row.cost_at_list, `${path}.cost_at_list`, operation);

  const record: FocusRecord = emptyFocusRecord('gcp');
  const month = billingPeriod(row.invoice_month, start);
  record.BillingAccountId = row.billing_account_id;
  record.BillingAccountName = context.billingAccountName ?? null;
  record.BillingCurrency = row.currency.toUpperCase();
  record.BillingPeriodStart = month.start;
  record.BillingPeriodEnd = month.end;
  record.ChargePeriodStart = isoSecondUtc(start);
  record.ChargePeriodEnd = isoSecondUtc(end);
  record.ChargeCategory = gcpChargeCategory(row.cost_type);
  record.ChargeFrequency = record.ChargeCategory === 'Usage' ? 'Usage-Based' : 'One-Time';
  record.ChargeDescription = row.sku_description;
  record.ServiceName = row.service_description ?? 'Google Cloud';
  record.ServiceCategory = serviceCategoryOf(record.ServiceName);
  record.SkuId = row.sku_id;
  record.PricingCategory = gcpPricingCategory(row.sku_description);
  record.SubAccountId = row.project_id;
  record.SubAccountName = row.project_name;
  record.RegionId = row.region;
  record.AvailabilityZone = row.zone;
  record.ResourceId = row.resource_global_name ?? row.resource_name;
  record.ResourceName = row.resource_name;
  record.ResourceType = resourceTypeOf(row.resource_global_name);
  record.Tags = labelsFrom(row.labels_json, `${path}.labels_json`, operation);
  record.x_CostType = row.cost_type;
  record.x_InstanceType = row.machine_spec;
  const machine = gpuMachineType('gcp', row.machine_spec);
  const gpuSku = machine ? undefined : gcpGpuSkuFromDescription(row.sku_description);
  if (machine) {
    record.x_GpuModel = machine.gpuModel;
    record.x_GpuCount = machine.gpuCount;
  } else if (gpuSku) {
    record.x_GpuModel = gpuSku.gpuModel;
    record.x_GpuCount = null;
  }

  record.BilledCost = decimalText(row.cost, cost);
  record.EffectiveCost = formatDecimal(cost + credits);
  record.ContractedCost = record.BilledCost;
  const derived = ['ContractedCost'];
  if (listCost === null) {
    record.ListCost = record.BilledCost;
    derived.push('ListCost');
  } else record.ListCost = decimalText(row.cost_at_list!, listCost);
  record.x_DerivedColumns = derived;

  const pricingQuantity = decimalOrNull(row.usage_amount_in_pricing_units, `${path}.usage_amount_in_pricing_units`, operation);
  if (pricingQuantity !== null && row.pricing_unit) {
    record.PricingQuantity = decimalText(row.usage_amount_in_pricing_units!, pricingQuantity);
    record.PricingUnit = row.pricing_unit;
  }
  const consumed = decimalOrNull(row.usage_amount, `${path}.usage_amount`, operation);
  if (consumed !== null && row.usage_unit) {
    record.ConsumedQuantity = decimalText(row.usage_amount!, consumed);
    record.ConsumedUnit = row.usage_unit;
  }
  return keyedFocusRecord('gcp', record);
}

/** A page of `jobs.query` / `jobs.getQueryResults`, as far as the normalizer needs it. */
export interface BigQueryResultPage {
  schema?: BigQuerySchema;
  rows?: BigQueryRow[];
}

function stringOrNull(value: BigQueryValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function checkColumns(schema: BigQuerySchema | undefined, operation: string): void {
  const names = new Set((schema?.fields ?? []).map((f) => f?.name));
  const missing = gcpBillingColumns.filter((c) => !names.has(c));
  if (missing.length > 0) throw malformedReply('gcp', operation, `the result lacks columns ${missing.join(', ')}`, 'schema.fields');
}

type RowReader = (row: BigQueryRow, path: string) => GcpBillingRow;

/**
 * The reader of one schema's rows. The query's columns are all scalars, so each row is read straight from its
 * cells by position; a schema with nested columns goes through the generic decoder.
 */
function billingRowReader(schema: BigQuerySchema | undefined, operation: string): RowReader {
  checkColumns(schema, operation);
  const fields = schema!.fields!;
  if (fields.some((f) => f.type === 'RECORD' || f.type === 'STRUCT' || f.mode === 'REPEATED')) {
    const decode = compileBigQueryRowDecoder(schema);
    return (row, path) => billingRowFromRecord(decode(row, path));
  }
  const at = (column: (typeof gcpBillingColumns)[number]) => fields.findIndex((f) => f.name === column);
  const width = fields.length;
  // Positions of the columns, bound once; the row object below always has the same shape.
  const p = Object.fromEntries(gcpBillingColumns.map((c) => [c, at(c)])) as Record<(typeof gcpBillingColumns)[number], number>;
  return (row, path) => {
    const cells = row?.f;
    if (!Array.isArray(cells) || cells.length !== width) throw malformedReply('gcp', operation, `expected ${width} cells`, `${path}.f`);
    const v = (position: number): string | null => {
      const value = (cells[position] as BigQueryCell | null)?.v;
      if (value === null || value === undefined) return null;
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw malformedReply('gcp', operation, 'expected a scalar value', `${path}.f[${position}]`);
    };
    return {
      billing_account_id: v(p.billing_account_id) ?? '',
      service_id: v(p.service_id),
      service_description: v(p.service_description),
      sku_id: v(p.sku_id),
      sku_description: v(p.sku_description),
      charge_period_start: v(p.charge_period_start) ?? '',
      charge_period_end: v(p.charge_period_end) ?? '',
      project_id: v(p.project_id),
      project_name: v(p.project_name),
      region: v(p.region),
      zone: v(p.zone),
      resource_name: v(p.resource_name),
      resource_global_name: v(p.resource_global_name),
      machine_spec: v(p.machine_spec),
      labels_json: v(p.labels_json),
      currency: v(p.currency) ?? '',
      cost_type: v(p.cost_type),
      usage_unit: v(p.usage_unit),
      pricing_unit: v(p.pricing_unit),
      usage_amount: v(p.usage_amount),
      usage_amount_in_pricing_units: v(p.usage_amount_in_pricing_units),
      cost: v(p.cost) ?? '',
      cost_at_list: v(p.cost_at_list),
      credits_amount: v(p.credits_amount),
      invoice_month: v(p.invoice_month),
    };
  };
}

/**
 * Streams result pages → keyed FOCUS records, one row at a time: a page is read row by row and dropped
 * before the next is pulled, so memory stays flat however many rows the query returns.
 */
export async function* normalizeGcpBillingPages(
  pages: AsyncIterable<BigQueryResultPage>,
  context: GcpCostContext = {},
): AsyncGenerator<KeyedFocusRecord> {
  const operation = context.operation ?? OPERATION;
  let read: RowReader | undefined;
  let schemaKey = '';
  let pageIndex = 0;
  for await (const page of pages) {
    const rows = page.rows ?? [];
    if (!Array.isArray(rows)) throw malformedReply('gcp', operation, 'rows is not an array', `pages[${pageIndex}].rows`);
    if (rows.length > 0) {
      const key = JSON.stringify(page.schema ?? null);
      if (!read || key !== schemaKey) {
        read = billingRowReader(page.schema, operation);
        schemaKey = key;
      }
    }
    for (let i = 0; i < rows.length; i++) {
      const path = `pages[${pageIndex}].rows[${i}]`;
      yield normalizeGcpBillingRow(read!(rows[i]!, path), context, path);
    }
    pageIndex++;
  }
}

function billingRowFromRecord(decoded: BigQueryRecord): GcpBillingRow {
  const row = {} as Record<string, string | null>;
  for (const column of gcpBillingColumns) row[column] = stringOrNull(decoded[column]);
  return row as unknown as GcpBillingRow;
}

/**
 * A raw billing-export row (decoded, nested as in the export schema) → the query-result shape, at the
 * export's own hourly granularity. For tools that read the export directly; the collector uses the query.
 */
export function gcpBillingRowFromExport(raw: BigQueryRecord): GcpBillingRow {
  const record = (value: BigQueryValue | undefined) =>
    (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as BigQueryRecord;
  const service = record(raw.service);
  const sku = record(raw.sku);
  const project = record(raw.project);
  const location = record(raw.location);
  const resource = record(raw.resource);
  const usage = record(raw.usage);
  const invoice = record(raw.invoice);
  const list = (value: BigQueryValue | undefined) => (Array.isArray(value) ? value : []).map((v) => record(v));
  const labels = list(raw.labels)
    .map((l) => ({ key: stringOrNull(l.key), value: stringOrNull(l.value) }))
    .sort((a, b) => String(a.key).localeCompare(String(b.key)));
  const machineSpec = list(raw.system_labels).find((l) => l.key === 'compute.googleapis.com/machine_spec');
  let credits = 0n;
  for (const credit of list(raw.credits)) {
    const amount = stringOrNull(credit.amount);
    if (amount !== null) credits += parseDecimal(amount);
  }
  return {
    billing_account_id: stringOrNull(raw.billing_account_id) ?? '',
    service_id: stringOrNull(service.id),
    service_description: stringOrNull(service.description),
    sku_id: stringOrNull(sku.id),
    sku_description: stringOrNull(sku.description),
    charge_period_start: stringOrNull(raw.usage_start_time) ?? '',
    charge_period_end: stringOrNull(raw.usage_end_time) ?? '',
    project_id: stringOrNull(project.id),
    project_name: stringOrNull(project.name),
    region: stringOrNull(location.region),
    zone: stringOrNull(location.zone),
    resource_name: stringOrNull(resource.name),
    resource_global_name: stringOrNull(resource.global_name),
    machine_spec: machineSpec ? stringOrNull(machineSpec.value) : null,
    labels_json: labels.length > 0 ? JSON.stringify(labels) : null,
    currency: stringOrNull(raw.currency) ?? '',
    cost_type: stringOrNull(raw.cost_type),
    usage_unit: stringOrNull(usage.unit),
    pricing_unit: stringOrNull(usage.pricing_unit),
    usage_amount: stringOrNull(usage.amount),
    usage_amount_in_pricing_units: stringOrNull(usage.amount_in_pricing_units),
    cost: stringOrNull(raw.cost) ?? '',
    cost_at_list: stringOrNull(raw.cost_at_list),
    credits_amount: formatDecimal(credits),
    invoice_month: stringOrNull(invoice.month),
  };
}
