import {
  type ChargeCategory,
  type ChargeFrequency,
  type CommitmentDiscountType,
  type FocusRecord,
  type KeyedFocusRecord,
  type PricingCategory,
  calendarMonthOf,
  decimalField,
  emptyFocusRecord,
  isoSecondUtc,
  keyedFocusRecord,
  parseUtcDate,
  serviceCategoryOf,
} from './focus.js';
import { gpuMachineType } from '../providers/gpu-catalog.js';
import { malformedReply } from '../providers/provider-errors.js';

/**
 * AWS Cost Explorer `GetCostAndUsage` / `GetCostAndUsageWithResources` replies → FOCUS records.
 * The types below are the wire format (the SDK's output types are structurally the same).
 */
export interface AwsMetricValue {
  Amount?: string;
  Unit?: string;
}
export interface AwsGroup {
  Keys?: string[];
  Metrics?: Record<string, AwsMetricValue>;
}
export interface AwsResultByTime {
  TimePeriod?: { Start?: string; End?: string };
  Total?: Record<string, AwsMetricValue>;
  Groups?: AwsGroup[];
  Estimated?: boolean;
}
export interface AwsGroupDefinition {
  Type?: string;
  Key?: string;
}
export interface AwsCostAndUsagePage {
  NextPageToken?: string;
  GroupDefinitions?: AwsGroupDefinition[];
  ResultsByTime?: AwsResultByTime[];
  DimensionValueAttributes?: Array<{ Value?: string; Attributes?: Record<string, string> }>;
}

export interface AwsCostContext {
  /** The management (payer) account the bill belongs to. */
  billingAccountId: string;
  billingAccountName?: string | null;
  /** The request's GroupBy, used when a page omits GroupDefinitions. */
  groupDefinitions?: AwsGroupDefinition[];
  /** ServiceName for records not grouped by SERVICE (the request filtered on one service). */
  serviceName?: string;
  /** Operation name used in error messages. */
  operation?: string;
}

const OPERATION = 'CostExplorer.GetCostAndUsage';
const unset = new Set([
  '',
  'NoRegion',
  'NoInstanceType',
  'NoResourceId',
  'NoUsageType',
  'NoAZ',
  'NoReservationId',
  'NoSavingsPlansArn',
  'No Linked Account',
]);

/** Cost Explorer PURCHASE_TYPE → FOCUS PricingCategory. */
export function awsPricingCategory(purchaseType: string): PricingCategory {
  const p = purchaseType.toLowerCase();
  if (p.includes('spot')) return 'Dynamic';
  if (p.includes('on demand') || p.includes('on-demand')) return 'Standard';
  if (p.includes('reserved') || p.includes('savings plan') || p.includes('capacity block') || p.includes('dedicated host reservation'))
    return 'Committed';
  return 'Other';
}

/** Cost Explorer RECORD_TYPE → FOCUS ChargeCategory and ChargeFrequency. */
export function awsChargeCategory(recordType: string): { category: ChargeCategory; frequency: ChargeFrequency } {
  switch (recordType) {
    case 'Usage':
    case 'DiscountedUsage':
    case 'SavingsPlanCoveredUsage':
    case 'SavingsPlanNegation':
      return { category: 'Usage', frequency: 'Usage-Based' };
    case 'RIFee':
    case 'SavingsPlanRecurringFee':
      return { category: 'Purchase', frequency: 'Recurring' };
    case 'Fee':
    case 'SavingsPlanUpfrontFee':
      return { category: 'Purchase', frequency: 'One-Time' };
    case 'Tax':
      return { category: 'Tax', frequency: 'One-Time' };
    case 'Credit':
    case 'Refund':
    case 'Discount':
    case 'BundledDiscount':
    case 'Enterprise Discount Program Discount':
    case 'Private Rate Card Discount':
      return { category: 'Credit', frequency: 'One-Time' };
    default:
      return { category: 'Adjustment', frequency: 'One-Time' };
  }
}

function resourceTypeOf(resourceId: string): string | null {
  if (/^i-[0-9a-f]+$/.test(resourceId)) return 'EC2 Instance';
  if (/^vol-[0-9a-f]+$/.test(resourceId)) return 'EBS Volume';
  if (resourceId.startsWith('arn:aws:')) return resourceId.split(':')[2] ?? null;
  return null;
}

function period(result: AwsResultByTime, path: string, operation: string): { start: number; end: number } {
  const start = parseUtcDate(result.TimePeriod?.Start ?? '');
  const end = parseUtcDate(result.TimePeriod?.End ?? '');
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) {
    throw malformedReply('aws', operation, `unreadable TimePeriod ${JSON.stringify(result.TimePeriod)}`, `${path}.TimePeriod`);
  }
  return { start, end };
}

/**
 * One page of GetCostAndUsage → keyed FOCUS records. A page is bounded by the API (it pages with
 * NextPageToken), so the records of one page are returned together; pages stream through
 * `normalizeAwsCostPages`.
 */
export function normalizeAwsCostPage(page: AwsCostAndUsagePage, context: AwsCostContext): KeyedFocusRecord[] {
  const operation = context.operation ?? OPERATION;
  if (typeof page !== 'object' || page === null) throw malformedReply('aws', operation, 'reply is not an object');
  if (!Array.isArray(page.ResultsByTime)) throw malformedReply('aws', operation, 'ResultsByTime is missing', 'ResultsByTime');
  const definitions = page.GroupDefinitions ?? context.groupDefinitions ?? [];
  const accountNames = new Map<string, string>();
  for (const attribute of page.DimensionValueAttributes ?? []) {
    const name = attribute.Attributes?.description;
    if (attribute.Value && name) accountNames.set(attribute.Value, name);
  }
  const out: KeyedFocusRecord[] = [];
  page.ResultsByTime.forEach((result, r) => {
    const path = `ResultsByTime[${r}]`;
    const { start, end } = period(result, path, operation);
    const groups = result.Groups ?? [];
    if (groups.length === 0) {
      const total = result.Total ?? {};
      if (Object.keys(total).length > 0) {
        out.push(
          keyedFocusRecord('aws', buildRecord([], [], total, result, start, end, context, accountNames, `${path}.Total`, operation)),
        );
      }
      return;
    }
    groups.forEach((group, g) => {
      const groupPath = `${path}.Groups[${g}]`;
      const keys = group.Keys;
      if (!Array.isArray(keys) || keys.length !== definitions.length) {
        throw malformedReply('aws', operation, `Keys do not match the ${definitions.length} GroupDefinitions`, `${groupPath}.Keys`);
      }
      if (!group.Metrics || typeof group.Metrics !== 'object')
        throw malformedReply('aws', operation, 'Metrics is missing', `${groupPath}.Metrics`);
      out.push(
        keyedFocusRecord(
          'aws',
          buildRecord(definitions, keys, group.Metrics, result, start, end, context, accountNames, `${groupPath}.Metrics`, operation),
        ),
      );
    });
  });
  return out;
}

/** Streams records page by page; only one page is held at a time. */
export async function* normalizeAwsCostPages(
  pages: AsyncIterable<AwsCostAndUsagePage>,
  context: AwsCostContext,
): AsyncGenerator<KeyedFocusRecord> {
  let definitions = context.groupDefinitions;
  for await (const page of pages) {
    definitions = page.GroupDefinitions ?? definitions;
    yield* normalizeAwsCostPage(page, { ...context, groupDefinitions: definitions });
  }
}

function buildRecord(
  definitions: AwsGroupDefinition[],
  keys: string[],
  metrics: Record<string, AwsMetricValue>,
  result: AwsResultByTime,
  start: number,
  end: number,
  context: AwsCostContext,
  accountNames: Map<string, string>,
  metricsPath: string,
  operation: string,
): FocusRecord {
  const record = emptyFocusRecord('aws');
  const month = calendarMonthOf(start);
  record.BillingAccountId = context.billingAccountId;
  record.BillingAccountName = context.billingAccountName ?? null;
  record.BillingPeriodStart = month.start;
  record.BillingPeriodEnd = month.end;
  record.ChargePeriodStart = isoSecondUtc(start);
  record.ChargePeriodEnd = isoSecondUtc(end);
  record.x_Estimated = result.Estimated === true;

  const otherDimensions: Record<string, string> = {};
  const description: string[] = [];
  definitions.forEach((definition, i) => {
    const value = keys[i]!;
    const type = definition.Type;
    const key = definition.Key ?? '';
    if (type === 'TAG') {
      const dollar = value.indexOf('$');
      const tagKey = dollar >= 0 ? value.slice(0, dollar) : key;
      const tagValue = dollar >= 0 ? value.slice(dollar + 1) : value;
      if (tagValue !== '') record.Tags[tagKey || key] = tagValue;
      return;
    }
    if (type === 'COST_CATEGORY') {
      const dollar = value.indexOf('$');
      otherDimensions[`CostCategory:${key}`] = dollar >= 0 ? value.slice(dollar + 1) : value;
      return;
    }
    const present = !unset.has(value);
    switch (key) {
      case 'SERVICE':
        record.ServiceName = value;
        break;
      case 'LINKED_ACCOUNT':
        record.SubAccountId = present ? value : null;
        record.SubAccountName = accountNames.get(value) ?? null;
        break;
      case 'REGION':
        record.RegionId = present ? value : null;
        break;
      case 'AZ':
        record.AvailabilityZone = present ? value : null;
        break;
      case 'INSTANCE_TYPE': {
        record.x_InstanceType = present ? value : null;
        const type = gpuMachineType('aws', value);
        if (type) {
          record.x_GpuModel = type.gpuModel;
          record.x_GpuCount = type.gpuCount;
        }
        if (present) description.push(value);
        break;
      }
      case 'USAGE_TYPE':
        record.x_UsageType = present ? value : null;
        if (present) description.push(value);
        break;
      case 'PURCHASE_TYPE':
        record.x_PricingModel = value;
        record.PricingCategory = awsPricingCategory(value);
        description.push(value);
        break;
      case 'RECORD_TYPE': {
        const charge = awsChargeCategory(value);
        record.ChargeCategory = charge.category;
        record.ChargeFrequency = charge.frequency;
        otherDimensions.RECORD_TYPE = value;
        break;
      }
      case 'RESOURCE_ID':
        record.ResourceId = present ? value : null;
        record.ResourceName = present ? value : null;
        record.ResourceType = present ? resourceTypeOf(value) : null;
        break;
      case 'RESERVATION_ID':
        setCommitment(record, present ? value : null, 'Reservation');
        break;
      case 'SAVINGS_PLANS_ARN':
      case 'SAVINGS_PLAN_ARN':
        setCommitment(record, present ? value : null, 'Savings Plan');
        break;
      default:
        otherDimensions[key] = value;
    }
  });
  if (Object.keys(otherDimensions).length > 0) record.x_ProviderDimensions = otherDimensions;
  if (!record.ServiceName) record.ServiceName = context.serviceName ?? 'AWS';
  record.ServiceCategory = serviceCategoryOf(record.ServiceName);
  record.ChargeDescription = [record.ServiceName, ...description].join(', ');

  const unblended = metrics.UnblendedCost;
  if (!unblended) throw malformedReply('aws', operation, 'UnblendedCost is missing', `${metricsPath}.UnblendedCost`);
  record.BilledCost = decimalField(unblended.Amount, 'aws', operation, `${metricsPath}.UnblendedCost.Amount`);
  record.BillingCurrency = currencyOf(unblended, `${metricsPath}.UnblendedCost.Unit`, operation);
  const derived: string[] = [];
  const amortized = metrics.AmortizedCost;
  if (amortized) record.EffectiveCost = decimalField(amortized.Amount, 'aws', operation, `${metricsPath}.AmortizedCost.Amount`);
  else {
    record.EffectiveCost = record.BilledCost;
    derived.push('EffectiveCost');
  }
  const netUnblended = metrics.NetUnblendedCost;
  if (netUnblended) record.ContractedCost = decimalField(netUnblended.Amount, 'aws', operation, `${metricsPath}.NetUnblendedCost.Amount`);
  else {
    record.ContractedCost = record.BilledCost;
    derived.push('ContractedCost');
  }
  // Cost Explorer reports no list (public on-demand) cost.
  record.ListCost = record.BilledCost;
  derived.push('ListCost');
  record.x_DerivedColumns = derived;

  const usage = metrics.UsageQuantity;
  if (usage && usage.Unit && usage.Unit !== 'N/A') {
    const quantity = decimalField(usage.Amount, 'aws', operation, `${metricsPath}.UsageQuantity.Amount`);
    record.PricingQuantity = quantity;
    record.PricingUnit = usage.Unit;
    record.ConsumedQuantity = quantity;
    record.ConsumedUnit = usage.Unit;
  }
  return record;
}

function setCommitment(record: FocusRecord, id: string | null, type: Exclude<CommitmentDiscountType, null>): void {
  record.CommitmentDiscountId = id;
  record.CommitmentDiscountType = id === null ? null : type;
}

function currencyOf(metric: AwsMetricValue, path: string, operation: string): string {
  const unit = metric.Unit;
  if (typeof unit !== 'string' || !/^[A-Za-z]{3}$/.test(unit))
    throw malformedReply('aws', operation, `expected a currency code, got ${JSON.stringify(unit)}`, path);
  return unit.toUpperCase();
}
