import { createHash } from 'node:crypto';
import { type Decimal } from '../../shared/domain/core/money.js';
import type { FaultControls } from './faults.js';
import { type Reply, type ServiceHandler, type ServiceRequest, decodeToken, encodeToken, json, originOf } from './http.js';
import { type AzureUsageRow, DAY_MS, type SimulatedOrganization, azureOrganization, decimalNumber } from './simulation.js';

/**
 * Azure Cost Management Query (`POST {scope}/providers/Microsoft.CostManagement/query?api-version=...`):
 * positional rows described by `columns` (aggregations, then groupings, then UsageDate, then Currency),
 * `nextLink` with a `$skiptoken` to be POSTed with the same body, 429 with the Cost Management retry-after
 * headers when throttled. At most two groupings, as the API documents.
 */
export interface CostManagementOptions {
  pageSize: number;
  throttleOnePage: boolean;
}

interface QueryBody {
  type?: string;
  timeframe?: string;
  timePeriod?: { from?: string; to?: string };
  dataset?: {
    granularity?: string;
    aggregation?: Record<string, { name?: string; function?: string }>;
    grouping?: Array<{ type?: string; name?: string }>;
  };
}

function azureError(status: number, code: string, message: string, headers: Record<string, string> = {}): Reply {
  return json(status, { error: { code, message } }, { 'x-ms-request-id': requestId(), ...headers });
}

let counter = 0;
function requestId(): string {
  counter++;
  return `22222222-3333-4444-8555-${String(counter).padStart(12, '0')}`;
}

const groupValue: Record<string, (row: AzureUsageRow) => string> = {
  ResourceId: (r) => r.resourceId.toLowerCase(),
  PricingModel: (r) => r.pricingModel,
  ResourceLocation: (r) => r.location,
  ServiceName: (r) => r.serviceName,
  MeterCategory: (r) => r.meterCategory,
  Meter: (r) => r.meter,
  ResourceGroupName: (r) => r.resourceGroup.toLowerCase(),
  ResourceGroup: (r) => r.resourceGroup.toLowerCase(),
  ChargeType: (r) => r.chargeType,
  SubscriptionId: (r) => r.subscriptionId,
  ResourceType: (r) => r.resourceType.toLowerCase(),
  UnitOfMeasure: (r) => r.unit,
};

const aggregations: Record<string, (row: AzureUsageRow, type: string) => Decimal> = {
  Cost: (r, type) => (type === 'AmortizedCost' ? r.amortizedCost : r.actualCost),
  PreTaxCost: (r, type) => (type === 'AmortizedCost' ? r.amortizedCost : r.actualCost),
  CostUSD: (r, type) => (type === 'AmortizedCost' ? r.amortizedCost : r.actualCost),
  PreTaxCostUSD: (r, type) => (type === 'AmortizedCost' ? r.amortizedCost : r.actualCost),
  UsageQuantity: (r) => r.quantity,
};

function scopeOf(path: string): string | undefined {
  const match = /^(.*)\/providers\/Microsoft\.CostManagement\/query$/i.exec(path);
  return match ? match[1] : undefined;
}

function yyyymmdd(day: number): number {
  const d = new Date(day);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

export function costManagementService(
  organization: SimulatedOrganization,
  faults: FaultControls,
  options: CostManagementOptions,
): ServiceHandler {
  let throttledOnePage = !options.throttleOnePage;
  return (request: ServiceRequest): Reply => {
    const scope = scopeOf(request.url.pathname);
    if (request.method !== 'POST' || scope === undefined)
      return azureError(404, 'NotFound', `No route ${request.method} ${request.url.pathname}`);
    if (!/^Bearer \S+/.test(String(request.headers.authorization ?? '')))
      return azureError(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.');
    const apiVersion = request.url.searchParams.get('api-version');
    if (!apiVersion)
      return azureError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    const fault = faults.next('azure-cost-management');
    if (fault?.kind === 'throttle') return throttled(fault.retryAfterSeconds);
    if (fault?.kind === 'fail') return azureError(500, 'InternalServerError', 'An error occurred while processing the request.');
    if (fault?.kind === 'malformed')
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '{"id":"x","properties":{"nextLink":null,"columns":[{"name":"Cost","type":"Number"}],"rows":[[12.5,',
      };
    if (scope.toLowerCase() !== azureOrganization.scope.toLowerCase())
      return azureError(403, 'AuthorizationFailed', `The client does not have authorization to perform action over scope '${scope}'.`);

    let body: QueryBody;
    try {
      body = JSON.parse(request.body) as QueryBody;
    } catch {
      return azureError(400, 'BadRequest', 'The request body is not valid JSON.');
    }
    const type = body.type ?? '';
    if (!['ActualCost', 'AmortizedCost', 'Usage'].includes(type)) return azureError(400, 'BadRequest', `Invalid query type '${type}'.`);
    const dataset = body.dataset ?? {};
    const granularity = dataset.granularity ?? 'None';
    if (granularity !== 'Daily' && granularity !== 'None')
      return azureError(400, 'BadRequest', `Granularity '${granularity}' is not supported.`);
    const grouping = dataset.grouping ?? [];
    if (grouping.length > 2) return azureError(400, 'BadRequest', 'Query can have up to 2 group by clauses.');
    for (const g of grouping) {
      const known = g.type === 'TagKey' ? Boolean(g.name) : g.type === 'Dimension' && Boolean(g.name && groupValue[g.name]);
      if (!known) return azureError(400, 'BadRequest', `Invalid grouping ${g.type} '${g.name}'.`);
    }
    const aggregation = Object.values(dataset.aggregation ?? {});
    if (aggregation.length === 0 || aggregation.some((a) => !a.name || !aggregations[a.name] || a.function !== 'Sum')) {
      return azureError(400, 'BadRequest', `Aggregations must be Sum of ${Object.keys(aggregations).join(', ')}.`);
    }
    let from: number;
    let to: number;
    if (body.timeframe === 'Custom') {
      from = Date.parse(body.timePeriod?.from ?? '');
      to = Date.parse(body.timePeriod?.to ?? '');
      if (Number.isNaN(from) || Number.isNaN(to) || to < from)
        return azureError(400, 'BadRequest', 'timePeriod from and to must be dates, from first.');
    } else if (body.timeframe === 'MonthToDate') {
      const now = new Date(organization.now);
      from = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
      to = organization.now;
    } else {
      return azureError(400, 'BadRequest', `Timeframe '${body.timeframe}' is not supported here.`);
    }

    const canonical = createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 16);
    let offset = 0;
    const skiptoken = request.url.searchParams.get('$skiptoken');
    if (skiptoken) {
      const token = decodeToken<{ o: number; q: string }>(skiptoken);
      if (!token || token.q !== canonical || !Number.isInteger(token.o))
        return azureError(400, 'BadRequest', 'Invalid $skiptoken: the request body must be the one of the first page.');
      offset = token.o;
      if (!throttledOnePage) {
        throttledOnePage = true;
        return throttled(0);
      }
    }

    const included = type === 'AmortizedCost' ? ['Usage', 'UnusedReservation'] : ['Usage', 'Purchase'];
    const fromDay = Math.floor(from / DAY_MS) * DAY_MS;
    const rows: unknown[][] = [];
    const groups = new Map<string, { day: number; keys: string[]; sums: Decimal[] }>();
    for (const day of organization.daysBetween(fromDay, to + 1)) {
      for (const row of organization.azureUsage(day)) {
        if (!included.includes(row.chargeType)) continue;
        // A tag grouping is two columns, TagKey and TagValue; both empty for rows without the tag.
        const keys = grouping.flatMap((g) =>
          g.type === 'TagKey' ? (row.tags[g.name!] === undefined ? ['', ''] : [g.name!, row.tags[g.name!]!]) : [groupValue[g.name!]!(row)],
        );
        const bucketDay = granularity === 'Daily' ? day : 0;
        const id = `${bucketDay}\u0000${keys.join('\u0000')}`;
        const group = groups.get(id) ?? { day: bucketDay, keys, sums: aggregation.map(() => 0n) };
        aggregation.forEach((a, i) => (group.sums[i]! += aggregations[a.name!]!(row, type)));
        groups.set(id, group);
      }
    }
    for (const group of [...groups.values()].sort((a, b) => a.day - b.day || a.keys.join('\u0000').localeCompare(b.keys.join('\u0000')))) {
      rows.push([...group.sums.map(decimalNumber), ...group.keys, ...(granularity === 'Daily' ? [yyyymmdd(group.day)] : []), 'USD']);
    }
    const columns = [
      ...aggregation.map((a) => ({ name: a.name, type: 'Number' })),
      ...grouping.flatMap((g) =>
        g.type === 'TagKey'
          ? [
              { name: 'TagKey', type: 'String' },
              { name: 'TagValue', type: 'String' },
            ]
          : [{ name: g.name, type: 'String' }],
      ),
      ...(granularity === 'Daily' ? [{ name: 'UsageDate', type: 'Number' }] : []),
      { name: 'Currency', type: 'String' },
    ];
    const slice = rows.slice(offset, offset + options.pageSize);
    const nextLink =
      offset + options.pageSize < rows.length
        ? `${originOf(request)}${scope}/providers/Microsoft.CostManagement/query?api-version=${encodeURIComponent(apiVersion)}&$skiptoken=${encodeToken({ o: offset + options.pageSize, q: canonical })}`
        : null;
    const id = `${scope}/providers/Microsoft.CostManagement/query/${canonical}`;
    return json(
      200,
      {
        id,
        name: canonical,
        type: 'Microsoft.CostManagement/query',
        location: null,
        sku: null,
        eTag: null,
        properties: { nextLink, columns, rows: slice },
      },
      { 'x-ms-request-id': requestId() },
    );
  };
}

function throttled(seconds: number): Reply {
  const value = String(seconds);
  return azureError(429, '429', `Too many requests. Please retry after ${seconds} seconds.`, {
    'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after': value,
    'x-ms-ratelimit-microsoft.costmanagement-entity-retry-after': value,
    'x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after': value,
    'x-ms-ratelimit-microsoft.costmanagement-qpu-remaining': 'QueryResource=0',
  });
}

/** JSON with sorted keys: two serializations of the same definition hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
