import { createHash } from 'node:crypto';
import type { CloudProvider } from '../providers/gpu-catalog.js';
import { InvalidDecimalError, formatDecimal, parseDecimal } from '../core/money.js';
import { malformedReply } from '../providers/provider-errors.js';

/**
 * A normalized cost record in FOCUS 1.2 column names (https://focus.finops.org). Money and quantities are
 * canonical decimal strings (see money.ts); date-times are ISO-8601 UTC (`2026-11-01T00:00:00Z`), periods
 * inclusive of Start and exclusive of End. Provider-specific columns carry the `x_` prefix, as FOCUS asks.
 */
export type ChargeCategory = 'Usage' | 'Purchase' | 'Tax' | 'Credit' | 'Adjustment';
export type ChargeClass = 'Correction' | null;
export type ChargeFrequency = 'One-Time' | 'Recurring' | 'Usage-Based';
export type PricingCategory = 'Standard' | 'Dynamic' | 'Committed' | 'Other';
export type CommitmentDiscountType = 'Reservation' | 'Savings Plan' | 'Committed Use Discount' | null;
export type FocusProviderName = 'AWS' | 'Microsoft' | 'Google Cloud';

export const focusServiceCategories = [
  'AI and Machine Learning',
  'Analytics',
  'Compute',
  'Databases',
  'Management and Governance',
  'Networking',
  'Security',
  'Storage',
  'Other',
] as const;
export type ServiceCategory = (typeof focusServiceCategories)[number];

export interface FocusRecord {
  // Mandatory columns.
  BilledCost: string;
  BillingAccountId: string;
  BillingAccountName: string | null;
  BillingCurrency: string;
  BillingPeriodStart: string;
  BillingPeriodEnd: string;
  ChargeCategory: ChargeCategory;
  ChargeClass: ChargeClass;
  ChargeDescription: string | null;
  ChargePeriodStart: string;
  ChargePeriodEnd: string;
  ContractedCost: string;
  EffectiveCost: string;
  InvoiceIssuerName: string;
  ListCost: string;
  PricingQuantity: string | null;
  PricingUnit: string | null;
  ProviderName: FocusProviderName;
  PublisherName: string;
  ServiceCategory: ServiceCategory;
  ServiceName: string;
  // Conditional columns.
  AvailabilityZone: string | null;
  ChargeFrequency: ChargeFrequency;
  CommitmentDiscountId: string | null;
  CommitmentDiscountType: CommitmentDiscountType;
  ConsumedQuantity: string | null;
  ConsumedUnit: string | null;
  ContractedUnitPrice: string | null;
  ListUnitPrice: string | null;
  PricingCategory: PricingCategory | null;
  RegionId: string | null;
  ResourceId: string | null;
  ResourceName: string | null;
  ResourceType: string | null;
  SkuId: string | null;
  SkuPriceId: string | null;
  SubAccountId: string | null;
  SubAccountName: string | null;
  Tags: Record<string, string>;
  // Provider and Compute Ledger extensions.
  /** AWS Cost Explorer `Estimated`: the amounts may still be restated. */
  x_Estimated?: boolean;
  x_GpuModel?: string | null;
  x_GpuCount?: number | null;
  x_InstanceType?: string | null;
  x_UsageType?: string | null;
  x_CostType?: string | null;
  x_PricingModel?: string | null;
  x_ResourceGroupName?: string | null;
  /** Provider dimensions that have no FOCUS column (Cost Explorer OPERATING_SYSTEM, cost categories ...). */
  x_ProviderDimensions?: Record<string, string>;
  /** Mandatory cost columns the provider does not report, filled from another column (`ListCost` from `BilledCost`). */
  x_DerivedColumns?: string[];
}

/** The identity of a record: re-collecting a period yields the same keys, so storage replaces, never adds. */
export interface FocusRecordKey {
  provider: CloudProvider;
  billingAccountId: string;
  chargePeriodStart: string;
  /** Hash of the identifying dimensions (everything except amounts, quantities and estimate flags). */
  dimensionsHash: string;
  /** `<provider>#<billingAccountId>#<chargePeriodStart>#<dimensionsHash>`. */
  value: string;
}

export interface KeyedFocusRecord {
  key: FocusRecordKey;
  record: FocusRecord;
}

export const focusProviderNames: Record<CloudProvider, FocusProviderName> = {
  aws: 'AWS',
  azure: 'Microsoft',
  gcp: 'Google Cloud',
};

export const focusInvoiceIssuers: Record<CloudProvider, string> = {
  aws: 'Amazon Web Services',
  azure: 'Microsoft',
  gcp: 'Google',
};

/**
 * The columns that identify a record. Amounts (costs, quantities, unit prices), descriptions and `x_Estimated`
 * are deliberately left out: they may change when a provider restates a period.
 */
const identifyingColumns = [
  'ProviderName',
  'BillingAccountId',
  'SubAccountId',
  'BillingCurrency',
  'BillingPeriodStart',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ChargeCategory',
  'ChargeClass',
  'ServiceName',
  'ResourceId',
  'RegionId',
  'AvailabilityZone',
  'SkuId',
  'SkuPriceId',
  'PricingCategory',
  'PricingUnit',
  'ConsumedUnit',
  'CommitmentDiscountId',
  'CommitmentDiscountType',
  'x_InstanceType',
  'x_UsageType',
  'x_CostType',
  'x_PricingModel',
] as const satisfies ReadonlyArray<keyof FocusRecord>;

export function focusRecordKey(provider: CloudProvider, record: FocusRecord): FocusRecordKey {
  // One string, one hash update: separators are control characters that provider values do not contain.
  let text = '';
  for (const column of identifyingColumns) {
    const value = record[column];
    text += value === null || value === undefined ? '\u0000\u001f' : `${value}\u001f`;
  }
  const tagKeys = Object.keys(record.Tags);
  if (tagKeys.length > 1) tagKeys.sort();
  for (const tagKey of tagKeys) text += `${tagKey}\u001e${record.Tags[tagKey]}\u001f`;
  const extra = record.x_ProviderDimensions;
  if (extra) {
    text += '\u001d';
    for (const name of Object.keys(extra).sort()) text += `${name}\u001e${extra[name]}\u001f`;
  }
  const dimensionsHash = createHash('sha256').update(text).digest('hex').slice(0, 32);
  return {
    provider,
    billingAccountId: record.BillingAccountId,
    chargePeriodStart: record.ChargePeriodStart,
    dimensionsHash,
    value: `${provider}#${record.BillingAccountId}#${record.ChargePeriodStart}#${dimensionsHash}`,
  };
}

export function keyedFocusRecord(provider: CloudProvider, record: FocusRecord): KeyedFocusRecord {
  return { key: focusRecordKey(provider, record), record };
}

const isoSecond = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const decimal = /^-?\d+(\.\d+)?$/;

/** What makes a record invalid FOCUS; empty when it is valid. Used by tests and by storage before writing. */
export function focusRecordProblems(record: FocusRecord): string[] {
  const problems: string[] = [];
  for (const column of ['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost'] as const) {
    if (!decimal.test(record[column])) problems.push(`${column} is not a decimal string`);
  }
  for (const column of ['PricingQuantity', 'ConsumedQuantity', 'ListUnitPrice', 'ContractedUnitPrice'] as const) {
    const value = record[column];
    if (value !== null && !decimal.test(value)) problems.push(`${column} is not a decimal string`);
  }
  for (const column of ['BillingPeriodStart', 'BillingPeriodEnd', 'ChargePeriodStart', 'ChargePeriodEnd'] as const) {
    if (!isoSecond.test(record[column])) problems.push(`${column} is not an ISO-8601 UTC date-time`);
  }
  if (record.ChargePeriodStart >= record.ChargePeriodEnd) problems.push('ChargePeriodStart is not before ChargePeriodEnd');
  if (record.BillingPeriodStart >= record.BillingPeriodEnd) problems.push('BillingPeriodStart is not before BillingPeriodEnd');
  for (const column of ['BillingAccountId', 'BillingCurrency', 'InvoiceIssuerName', 'PublisherName', 'ServiceName'] as const) {
    if (!record[column]) problems.push(`${column} is empty`);
  }
  if (!/^[A-Z]{3}$/.test(record.BillingCurrency)) problems.push('BillingCurrency is not an ISO 4217 code');
  if (record.PricingQuantity !== null && record.PricingUnit === null) problems.push('PricingQuantity without PricingUnit');
  if (record.ConsumedQuantity !== null && record.ConsumedUnit === null) problems.push('ConsumedQuantity without ConsumedUnit');
  if (record.ChargeCategory === 'Usage' && record.CommitmentDiscountId === null && record.CommitmentDiscountType !== null) {
    problems.push('CommitmentDiscountType without CommitmentDiscountId');
  }
  for (const key of Object.keys(record)) {
    if (!key.startsWith('x_') && !(key in focusColumnSet)) problems.push(`${key} is neither a FOCUS column nor x_-prefixed`);
  }
  return problems;
}

const focusColumnSet: Record<string, true> = Object.fromEntries(
  [
    'BilledCost',
    'BillingAccountId',
    'BillingAccountName',
    'BillingCurrency',
    'BillingPeriodStart',
    'BillingPeriodEnd',
    'ChargeCategory',
    'ChargeClass',
    'ChargeDescription',
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
    'ChargeFrequency',
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
  ].map((c) => [c, true]),
);

/** FOCUS ServiceCategory of a provider service name; "Other" when unknown. */
export function serviceCategoryOf(serviceName: string): ServiceCategory {
  const s = serviceName.toLowerCase();
  if (/sagemaker|bedrock|machine learning|vertex|openai|cognitive|\bai\b|comprehend|rekognition/.test(s)) return 'AI and Machine Learning';
  if (
    /elastic compute cloud|\bec2\b|compute engine|virtual machines?|lambda|batch|kubernetes|\beks\b|\baks\b|\bgke\b|container|fargate|cloud run|functions/.test(
      s,
    )
  )
    return 'Compute';
  if (/storage|\bs3\b|glacier|\bebs\b|elastic file|filestore|blob|disk/.test(s)) return 'Storage';
  if (/dynamodb|\brds\b|database|sql|cosmos|spanner|bigtable|firestore|redis|elasticache/.test(s)) return 'Databases';
  if (/bigquery|athena|redshift|kinesis|glue|dataflow|dataproc|synapse|analytics|emr/.test(s)) return 'Analytics';
  if (/cloudfront|data transfer|bandwidth|network|vpc|route 53|load balanc|\bcdn\b|dns|gateway|interconnect/.test(s)) return 'Networking';
  if (/cloudwatch|monitor|logging|cloudtrail|config|cost management|support/.test(s)) return 'Management and Governance';
  if (/kms|key vault|security|guardduty|waf|shield|secret/.test(s)) return 'Security';
  return 'Other';
}

const isoCache = new Map<number, string>();

/** ISO-8601 UTC at second precision: `2026-11-01T00:00:00Z`. Charge periods repeat, so answers are cached. */
export function isoSecondUtc(ms: number): string {
  const cached = isoCache.get(ms);
  if (cached !== undefined) return cached;
  const text = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (isoCache.size >= 8192) isoCache.clear();
  isoCache.set(ms, text);
  return text;
}

/** The calendar month (UTC) holding `ms`: the billing period of AWS, Azure pay-as-you-go and Google Cloud. */
export function calendarMonthOf(ms: number): { start: string; end: string } {
  const date = new Date(ms);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return { start: isoSecondUtc(start), end: isoSecondUtc(end) };
}

/** `2026-11-01` or `2026-11-01T00:00:00Z` → epoch ms; NaN when unreadable. */
export function parseUtcDate(text: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Date.parse(`${text}T00:00:00Z`);
  return Date.parse(text);
}

/**
 * Reads a money or quantity value from a reply into a canonical decimal string, or throws a malformed-reply
 * ProviderError naming where it was.
 */
export function decimalField(value: unknown, provider: CloudProvider, operation: string, path: string): string {
  if (typeof value === 'string' || typeof value === 'number') {
    try {
      return formatDecimal(parseDecimal(value));
    } catch (error) {
      if (!(error instanceof InvalidDecimalError)) throw error;
    }
  }
  throw malformedReply(provider, operation, `expected a decimal number, got ${JSON.stringify(value)?.slice(0, 60)}`, path);
}

/** Records of one provider, as a plain FOCUS record with every optional column set to null. */
export function emptyFocusRecord(provider: CloudProvider): FocusRecord {
  return {
    BilledCost: '0',
    BillingAccountId: '',
    BillingAccountName: null,
    BillingCurrency: 'USD',
    BillingPeriodStart: '',
    BillingPeriodEnd: '',
    ChargeCategory: 'Usage',
    ChargeClass: null,
    ChargeDescription: null,
    ChargePeriodStart: '',
    ChargePeriodEnd: '',
    ContractedCost: '0',
    EffectiveCost: '0',
    InvoiceIssuerName: focusInvoiceIssuers[provider],
    ListCost: '0',
    PricingQuantity: null,
    PricingUnit: null,
    ProviderName: focusProviderNames[provider],
    PublisherName: focusInvoiceIssuers[provider],
    ServiceCategory: 'Other',
    ServiceName: '',
    AvailabilityZone: null,
    ChargeFrequency: 'Usage-Based',
    CommitmentDiscountId: null,
    CommitmentDiscountType: null,
    ConsumedQuantity: null,
    ConsumedUnit: null,
    ContractedUnitPrice: null,
    ListUnitPrice: null,
    PricingCategory: null,
    RegionId: null,
    ResourceId: null,
    ResourceName: null,
    ResourceType: null,
    SkuId: null,
    SkuPriceId: null,
    SubAccountId: null,
    SubAccountName: null,
    Tags: {},
  };
}
