import { createHash } from 'node:crypto';
import { gcpBillingResultSchema } from '../../shared/domain/costs/focus-gcp.js';
import { formatDecimal } from '../../shared/domain/core/money.js';
import type { FaultControls } from './faults.js';
import { type Reply, type ServiceHandler, decodeToken, encodeToken, json } from './http.js';
import { DAY_MS, type GcpExportRow, type SimulatedOrganization, gcpOrganization } from './simulation.js';

/**
 * BigQuery REST v2 for the billing-export query: `POST /bigquery/v2/projects/{p}/queries` (jobs.query) answers
 * the first page, `GET /bigquery/v2/projects/{p}/queries/{jobId}` (jobs.getQueryResults) the next ones by
 * pageToken. Rows are `{"f":[{"v":...}]}` in schema order, every scalar a string; TIMESTAMP as int64
 * microseconds with `formatOptions.useInt64Timestamp`, float seconds otherwise. The server does not run SQL:
 * it recognizes the collector's query (its first-line marker) and answers what that query would return
 * over the simulated export, or `syntheticRows` generated rows for benchmarks (made page by page, never held).
 */
export interface BigQueryOptions {
  /** Rows per page when the client asks for more (BigQuery's own cap is about 10 MB a page). */
  pageSize: number;
  throttleOnePage: boolean;
  /** Answer this many generated rows instead of the simulated fleet (benchmarks). */
  syntheticRows?: number;
}

const marker = '-- compute-ledger: billing export by charge period';
const schema = gcpBillingResultSchema;

type Values = Array<string | null>;

interface RowSource {
  count: number;
  /** The rows [from, to) as values in schema order; TIMESTAMP columns as epoch ms strings. */
  rows(from: number, to: number): Values[];
}

interface Job {
  id: string;
  source: RowSource;
}

function bigQueryError(code: number, reason: string, message: string, status: string): Reply {
  return json(code, { error: { code, message, errors: [{ message, domain: 'global', reason }], status } });
}

function timestampValue(ms: number, int64: boolean): string {
  if (int64) return String(BigInt(ms) * 1000n);
  return (ms / 1000).toExponential().replace('e+', 'E');
}

function fleetValues(row: GcpExportRow): Values {
  return [
    row.billingAccountId,
    row.serviceId,
    row.serviceDescription,
    row.skuId,
    row.skuDescription,
    String(row.day),
    String(row.day + DAY_MS),
    row.projectId,
    row.projectName,
    row.region,
    row.zone,
    row.resourceName,
    row.resourceGlobalName,
    row.machineSpec,
    JSON.stringify(row.labels),
    row.currency,
    row.costType,
    row.usageUnit,
    row.pricingUnit,
    formatDecimal(row.usageAmount),
    formatDecimal(row.usageAmountInPricingUnits),
    formatDecimal(row.cost),
    formatDecimal(row.costAtList),
    formatDecimal(row.credits),
    row.invoiceMonth,
  ];
}

function nanosText(nanos: number): string {
  const whole = Math.floor(nanos / 1e9);
  const fraction = String(nanos % 1e9)
    .padStart(9, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** Benchmark rows: unique resources, two SKUs, spread over the period's days in order. */
function syntheticSource(count: number, start: number, end: number): RowSource {
  const days = Math.max(1, Math.round((end - start) / DAY_MS));
  const gpu = { id: 'A1B2-C3D4-E5F6', description: 'Nvidia H100 80GB GPU running in Americas', unit: 'seconds', pricing: 'hour' };
  const core = { id: 'F6E5-D4C3-B2A1', description: 'A3 Instance Core running in Americas', unit: 'seconds', pricing: 'hour' };
  return {
    count,
    rows(from, to) {
      const out: Values[] = [];
      for (let i = from; i < to; i++) {
        const day = start + Math.floor((i * days) / count) * DAY_MS;
        const sku = i % 2 === 0 ? gpu : core;
        const instance = Math.floor(i / 2);
        const hours = 1 + (i % 24);
        const costNanos = 1_000_000_000 + (i % 100_000) * 123_457;
        const month = new Date(day);
        out.push([
          gcpOrganization.billingAccountId,
          gcpOrganization.computeServiceId,
          'Compute Engine',
          sku.id,
          sku.description,
          String(day),
          String(day + DAY_MS),
          `bench-project-${instance % 50}`,
          `Bench ${instance % 50}`,
          'us-central1',
          'us-central1-a',
          `a3-bench-${instance}`,
          `//compute.googleapis.com/projects/${100000 + (instance % 50)}/zones/us-central1-a/instances/${4815162342000000 + instance}`,
          'a3-highgpu-8g',
          `[{"key":"team","value":"team-${instance % 7}"}]`,
          'USD',
          'regular',
          sku.unit,
          sku.pricing,
          String(hours * 3600),
          String(hours),
          nanosText(costNanos),
          nanosText(costNanos),
          i % 3 === 0 ? `-${nanosText(Math.floor(costNanos * 0.3))}` : '0',
          `${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, '0')}`,
        ]);
      }
      return out;
    },
  };
}

function parseTimestampParameter(value: string | undefined): number {
  if (!value) return Number.NaN;
  const iso = value
    .trim()
    .replace(' ', 'T')
    .replace(/\+00(:00)?$/, 'Z')
    .replace(/ UTC$/, 'Z');
  return Date.parse(iso.endsWith('Z') || /[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
}

export function bigQueryService(organization: SimulatedOrganization, faults: FaultControls, options: BigQueryOptions): ServiceHandler {
  const jobs = new Map<string, Job>();
  const byRequestId = new Map<string, string>();
  let throttledOnePage = !options.throttleOnePage;

  const page = (job: Job, offset: number, maxResults: number | undefined, int64: boolean, kind: string): Reply => {
    const size = Math.min(maxResults && maxResults > 0 ? maxResults : options.pageSize, options.pageSize);
    const to = Math.min(job.source.count, offset + size);
    const rows = job.source.rows(offset, to);
    const parts: string[] = [];
    for (const values of rows) {
      const cells = values.map((value, column) => {
        if (value === null) return '{"v":null}';
        const text = schema.fields[column]!.type === 'TIMESTAMP' ? timestampValue(Number(value), int64) : value;
        return `{"v":${JSON.stringify(text)}}`;
      });
      parts.push(`{"f":[${cells.join(',')}]}`);
    }
    const pageToken = to < job.source.count ? encodeToken({ o: to, j: job.id }) : undefined;
    const head = {
      kind,
      schema,
      jobReference: { projectId: gcpOrganization.billingProjectId, jobId: job.id, location: 'US' },
      totalRows: String(job.source.count),
      ...(pageToken ? { pageToken } : {}),
      totalBytesProcessed: String(job.source.count * 1024),
      jobComplete: true,
      cacheHit: false,
    };
    const body = `${JSON.stringify(head).slice(0, -1)},"rows":[${parts.join(',')}]}`;
    return { status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body };
  };

  return (request): Reply => {
    const match = /^\/bigquery\/v2\/projects\/([^/]+)\/queries(?:\/([^/]+))?$/.exec(request.url.pathname);
    if (!match) return bigQueryError(404, 'notFound', `Not found: ${request.url.pathname}`, 'NOT_FOUND');
    if (!request.headers.authorization)
      return bigQueryError(401, 'required', 'Request is missing required authentication credential.', 'UNAUTHENTICATED');
    const fault = faults.next('gcp-bigquery');
    if (fault?.kind === 'throttle')
      return bigQueryError(
        403,
        'rateLimitExceeded',
        'Exceeded rate limits: too many api requests per user per method for this user_method.',
        'PERMISSION_DENIED',
      );
    if (fault?.kind === 'fail')
      return bigQueryError(500, 'backendError', 'An internal error occurred and the request could not be completed.', 'INTERNAL');
    if (fault?.kind === 'malformed')
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        body: '{"kind":"bigquery#getQueryResultsResponse","schema":{"fields":[{"name":"billing_account_id","type":"STR',
      };

    if (request.method === 'POST' && !match[2]) {
      let body: {
        query?: string;
        useLegacySql?: boolean;
        queryParameters?: Array<{ name?: string; parameterType?: { type?: string }; parameterValue?: { value?: string } }>;
        maxResults?: number;
        requestId?: string;
        formatOptions?: { useInt64Timestamp?: boolean };
      };
      try {
        body = JSON.parse(request.body);
      } catch {
        return bigQueryError(400, 'parseError', 'Invalid JSON payload received.', 'INVALID_ARGUMENT');
      }
      if (body.useLegacySql !== false)
        return bigQueryError(400, 'invalidQuery', 'The local provider server runs standard SQL only.', 'INVALID_ARGUMENT');
      if (!body.query?.startsWith(marker))
        return bigQueryError(400, 'invalidQuery', 'The local provider server answers the billing-export query only.', 'INVALID_ARGUMENT');
      if (!body.query.includes('TIMESTAMP_TRUNC(usage_start_time, DAY)'))
        return bigQueryError(400, 'invalidQuery', 'The local provider server answers daily granularity only.', 'INVALID_ARGUMENT');
      const parameter = (name: string) =>
        body.queryParameters?.find((p) => p.name === name && p.parameterType?.type === 'TIMESTAMP')?.parameterValue?.value;
      const start = parseTimestampParameter(parameter('start'));
      const end = parseTimestampParameter(parameter('end'));
      if (Number.isNaN(start) || Number.isNaN(end) || end <= start)
        return bigQueryError(400, 'invalidQuery', 'Query parameters @start and @end must be TIMESTAMPs, @start first.', 'INVALID_ARGUMENT');
      const existing = body.requestId ? byRequestId.get(body.requestId) : undefined;
      let job = existing ? jobs.get(existing) : undefined;
      if (!job) {
        let source: RowSource;
        if (options.syntheticRows !== undefined) source = syntheticSource(options.syntheticRows, start, end);
        else {
          const values = organization
            .daysBetween(start, end)
            .flatMap((day) => organization.gcpExportRows(day))
            .map(fleetValues);
          source = { count: values.length, rows: (from, to) => values.slice(from, to) };
        }
        const id = `job_${createHash('sha256').update(`${request.body}|${organization.revision}|${jobs.size}`).digest('base64url').slice(0, 24)}`;
        job = { id, source };
        jobs.set(id, job);
        if (body.requestId) byRequestId.set(body.requestId, id);
      }
      return page(job, 0, body.maxResults, body.formatOptions?.useInt64Timestamp === true, 'bigquery#queryResponse');
    }

    if (request.method === 'GET' && match[2]) {
      const job = jobs.get(decodeURIComponent(match[2]));
      if (!job) return bigQueryError(404, 'notFound', `Not found: Job ${gcpOrganization.billingProjectId}:US.${match[2]}`, 'NOT_FOUND');
      const params = request.url.searchParams;
      let offset = 0;
      const pageToken = params.get('pageToken');
      if (pageToken) {
        const token = decodeToken<{ o: number; j: string }>(pageToken);
        if (!token || token.j !== job.id || !Number.isInteger(token.o))
          return bigQueryError(400, 'invalid', 'Invalid page token.', 'INVALID_ARGUMENT');
        offset = token.o;
        if (!throttledOnePage) {
          throttledOnePage = true;
          return bigQueryError(
            403,
            'rateLimitExceeded',
            'Exceeded rate limits: too many api requests per user per method for this user_method.',
            'PERMISSION_DENIED',
          );
        }
      }
      const maxResults = params.get('maxResults') ? Number(params.get('maxResults')) : undefined;
      return page(job, offset, maxResults, params.get('formatOptions.useInt64Timestamp') === 'true', 'bigquery#getQueryResultsResponse');
    }
    return bigQueryError(405, 'invalid', `Method ${request.method} not allowed`, 'INVALID_ARGUMENT');
  };
}
