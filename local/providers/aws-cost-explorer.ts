import { createHash } from 'node:crypto';
import { type Decimal, formatDecimal } from '../../shared/domain/core/money.js';
import { awsJson, awsJsonError, awsJsonFault, isReply, readAwsJsonCall } from './aws-json.js';
import type { FaultControls } from './faults.js';
import { type Reply, type ServiceHandler, decodeToken, encodeToken } from './http.js';
import { type AwsLineItem, DAY_MS, type SimulatedOrganization, awsOrganization } from './simulation.js';

/**
 * AWS Cost Explorer (`AWSInsightsIndexService.GetCostAndUsage`, `...GetCostAndUsageWithResources`) over the
 * simulated line items: groups (at most two) and filters are evaluated like the service does, pages hold at
 * most `pageSize` groups and carry an opaque NextPageToken.
 */
export interface CostExplorerOptions {
  pageSize: number;
  /** Throttle the first request for a second page once (the scenario's throttled page). */
  throttleOnePage: boolean;
}

type GroupDefinition = { Type: string; Key: string };
type Expression = {
  And?: Expression[];
  Or?: Expression[];
  Not?: Expression;
  Dimensions?: { Key: string; Values?: string[]; MatchOptions?: string[] };
  Tags?: { Key: string; Values?: string[]; MatchOptions?: string[] };
};

const metricsOf: Record<string, (item: AwsLineItem) => Decimal> = {
  UnblendedCost: (i) => i.unblended,
  AmortizedCost: (i) => i.amortized,
  NetUnblendedCost: (i) => i.netUnblended,
  BlendedCost: (i) => i.blended,
  NetAmortizedCost: (i) => i.netAmortized,
  UsageQuantity: (i) => i.usageQuantity,
};

function dimensionValue(item: AwsLineItem, key: string): string | undefined {
  switch (key) {
    case 'SERVICE':
      return item.service;
    case 'LINKED_ACCOUNT':
      return item.accountId;
    case 'REGION':
      return item.region || 'NoRegion';
    case 'AZ':
      return item.availabilityZone || 'NoAZ';
    case 'INSTANCE_TYPE':
      return item.instanceType || 'NoInstanceType';
    case 'USAGE_TYPE':
      return item.usageType;
    case 'PURCHASE_TYPE':
      return item.purchaseType;
    case 'RECORD_TYPE':
      return item.recordType;
    case 'OPERATING_SYSTEM':
      return item.operatingSystem || 'NoOperatingSystem';
    case 'RESOURCE_ID':
      return item.resourceId || 'NoResourceId';
    default:
      return undefined;
  }
}

function matches(item: AwsLineItem, expression: Expression | undefined): boolean {
  if (!expression) return true;
  if (expression.And) return expression.And.every((e) => matches(item, e));
  if (expression.Or) return expression.Or.some((e) => matches(item, e));
  if (expression.Not) return !matches(item, expression.Not);
  if (expression.Dimensions) {
    const value = dimensionValue(item, expression.Dimensions.Key);
    return value !== undefined && (expression.Dimensions.Values ?? []).includes(value);
  }
  if (expression.Tags) {
    const value = item.tags[expression.Tags.Key];
    const values = expression.Tags.Values ?? [];
    if (expression.Tags.MatchOptions?.includes('ABSENT')) return value === undefined;
    return value !== undefined && (values.length === 0 || values.includes(value));
  }
  return true;
}

function groupKey(item: AwsLineItem, definition: GroupDefinition): string {
  if (definition.Type === 'TAG') return `${definition.Key}$${item.tags[definition.Key] ?? ''}`;
  return dimensionValue(item, definition.Key) ?? '';
}

function parseDate(text: unknown): number {
  return typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

interface Period {
  start: number;
  end: number;
}

function periods(start: number, end: number, granularity: string): Period[] {
  const out: Period[] = [];
  if (granularity === 'DAILY') {
    for (let day = start; day < end; day += DAY_MS) out.push({ start: day, end: day + DAY_MS });
    return out;
  }
  let cursor = start;
  while (cursor < end) {
    const d = new Date(cursor);
    const next = Math.min(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1), end);
    out.push({ start: cursor, end: next });
    cursor = next;
  }
  return out;
}

interface Entry {
  period: Period;
  keys: string[];
  items: AwsLineItem[];
}

export function costExplorerService(
  organization: SimulatedOrganization,
  faults: FaultControls,
  options: CostExplorerOptions,
): ServiceHandler {
  let throttledOnePage = !options.throttleOnePage;
  return (request): Reply => {
    const call = readAwsJsonCall(request, 'AWSInsightsIndexService');
    if (isReply(call)) return call;
    const withResources = call.operation === 'GetCostAndUsageWithResources';
    if (call.operation !== 'GetCostAndUsage' && !withResources)
      return awsJsonError(400, 'UnknownOperationException', `Unsupported operation ${call.operation}`);
    const input = call.input as {
      TimePeriod?: { Start?: string; End?: string };
      Granularity?: string;
      Metrics?: string[];
      GroupBy?: GroupDefinition[];
      Filter?: Expression;
      NextPageToken?: string;
    };
    const fault = faults.next('aws-cost-explorer');
    if (fault)
      return awsJsonFault(
        fault,
        'LimitExceededException',
        '{"GroupDefinitions":[],"ResultsByTime":[{"Estimated":false,"TimePeriod":{"Start":"2026',
      );

    const start = parseDate(input.TimePeriod?.Start);
    const end = parseDate(input.TimePeriod?.End);
    if (Number.isNaN(start) || Number.isNaN(end) || end <= start)
      return awsJsonError(400, 'ValidationException', 'TimePeriod Start must be before End, both yyyy-MM-dd');
    const granularity = input.Granularity ?? 'DAILY';
    if (granularity !== 'DAILY' && granularity !== 'MONTHLY')
      return awsJsonError(400, 'ValidationException', `Granularity ${granularity} is not supported here`);
    const metrics = input.Metrics ?? [];
    if (metrics.length === 0 || metrics.some((m) => !metricsOf[m]))
      return awsJsonError(400, 'ValidationException', `Metrics must be among ${Object.keys(metricsOf).join(', ')}`);
    const groupBy = input.GroupBy ?? [];
    if (groupBy.length > 2) return awsJsonError(400, 'ValidationException', 'GroupBy accepts at most two groups');
    const usesResource = groupBy.some((g) => g.Type === 'DIMENSION' && g.Key === 'RESOURCE_ID');
    if (usesResource && !withResources)
      return awsJsonError(400, 'ValidationException', 'RESOURCE_ID grouping needs GetCostAndUsageWithResources');
    if (withResources) {
      if (!input.Filter) return awsJsonError(400, 'ValidationException', 'GetCostAndUsageWithResources requires a Filter');
      if (start < organization.today - 14 * DAY_MS)
        return awsJsonError(400, 'DataUnavailableException', 'Resource-level data is available for the last 14 days only');
    }
    if (groupBy.some((g) => g.Type !== 'TAG' && g.Type !== 'DIMENSION'))
      return awsJsonError(400, 'ValidationException', 'GroupBy Type must be DIMENSION or TAG');

    const queryHash = createHash('sha256')
      .update(JSON.stringify({ ...input, NextPageToken: undefined, op: call.operation }))
      .digest('hex')
      .slice(0, 16);
    let offset = 0;
    if (input.NextPageToken) {
      const token = decodeToken<{ o: number; q: string }>(input.NextPageToken);
      if (!token || token.q !== queryHash || !Number.isInteger(token.o))
        return awsJsonError(400, 'InvalidNextTokenException', 'The NextPageToken is invalid');
      offset = token.o;
      if (!throttledOnePage) {
        throttledOnePage = true;
        return awsJsonError(400, 'LimitExceededException', 'You have exceeded the rate limit.');
      }
    }

    // Every (period, group) entry in order; a page is a slice of them.
    const entries: Entry[] = [];
    for (const period of periods(start, end, granularity)) {
      const items = organization
        .daysBetween(period.start, period.end)
        .flatMap((day) => organization.awsLineItems(day))
        .filter((item) => matches(item, input.Filter));
      if (groupBy.length === 0) {
        entries.push({ period, keys: [], items });
        continue;
      }
      const groups = new Map<string, Entry>();
      for (const item of items) {
        const keys = groupBy.map((g) => groupKey(item, g));
        const id = keys.join('\u0000');
        const entry = groups.get(id) ?? { period, keys, items: [] };
        entry.items.push(item);
        groups.set(id, entry);
      }
      entries.push(...[...groups.values()].sort((a, b) => a.keys.join('\u0000').localeCompare(b.keys.join('\u0000'))));
    }
    const slice = entries.slice(offset, offset + options.pageSize);
    const next = offset + options.pageSize < entries.length ? encodeToken({ o: offset + options.pageSize, q: queryHash }) : undefined;

    const metricValues = (items: AwsLineItem[]) =>
      Object.fromEntries(
        metrics.map((metric) => {
          const total = items.reduce((sum, item) => sum + metricsOf[metric]!(item), 0n);
          if (metric === 'UsageQuantity') {
            const units = new Set(items.map((i) => i.usageUnit));
            return [metric, { Amount: formatDecimal(total), Unit: units.size === 1 ? [...units][0]! : 'N/A' }];
          }
          return [metric, { Amount: formatDecimal(total), Unit: 'USD' }];
        }),
      );
    const estimated = (period: Period) => organization.daysBetween(period.start, period.end).some((day) => organization.awsEstimated(day));

    const results: unknown[] = [];
    let current: { period: Period; value: { TimePeriod: object; Total: object; Groups: unknown[]; Estimated: boolean } } | undefined;
    for (const entry of slice) {
      if (!current || current.period !== entry.period) {
        current = {
          period: entry.period,
          value: {
            TimePeriod: { Start: isoDate(entry.period.start), End: isoDate(entry.period.end) },
            Total: {},
            Groups: [],
            Estimated: estimated(entry.period),
          },
        };
        results.push(current.value);
      }
      if (groupBy.length === 0) current.value.Total = metricValues(entry.items);
      else current.value.Groups.push({ Keys: entry.keys, Metrics: metricValues(entry.items) });
    }
    const accounts = groupBy.some((g) => g.Key === 'LINKED_ACCOUNT')
      ? [...new Set(slice.flatMap((e) => e.items.map((i) => i.accountId)))]
          .sort()
          .map((id) => ({ Value: id, Attributes: { description: awsOrganization.accounts[id] ?? id } }))
      : [];
    return awsJson({
      GroupDefinitions: groupBy,
      ResultsByTime: results,
      DimensionValueAttributes: accounts,
      ...(next ? { NextPageToken: next } : {}),
    });
  };
}
