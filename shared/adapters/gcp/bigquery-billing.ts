import { randomUUID } from 'node:crypto';
import { BigQuery } from '@google-cloud/bigquery';
import type { OAuth2Client } from 'google-auth-library';
import type { BigQueryRow, BigQuerySchema } from '../../domain/costs/bigquery-rows.js';
import { type GcpBillingGranularity, gcpBillingQuery } from '../../domain/costs/focus-gcp.js';
import { malformedReply } from '../../domain/providers/provider-errors.js';
import { type RetryOptions, callWithRetry } from '../provider-retry.js';
import { classifyBigQueryError } from './google-errors.js';

export interface BigQuerySettings {
  /** The project that runs (and pays for) the query jobs. */
  projectId: string;
  /** `https://bigquery.googleapis.com` unless overridden (`LEDGER_GCP_BIGQUERY_ENDPOINT`). */
  endpoint?: string;
  /** A fixed-token client for a local server; Application Default Credentials when absent. */
  authClient?: OAuth2Client;
}

/** The BigQuery client with its own retries off (autoRetry false): provider-retry.ts retries. */
export function createBigQueryClient(settings: BigQuerySettings): BigQuery {
  return new BigQuery({
    projectId: settings.projectId,
    ...(settings.endpoint ? { apiEndpoint: settings.endpoint.replace(/\/+$/, '') } : {}),
    ...(settings.authClient ? { authClient: settings.authClient } : {}),
    autoRetry: false,
    maxRetries: 0,
  });
}

/** One page of `jobs.query` or `jobs.getQueryResults`, rows still in the REST `f`/`v` form. */
export interface BigQueryPage {
  schema?: BigQuerySchema;
  rows: BigQueryRow[];
  totalRows?: string;
  pageToken?: string;
  jobComplete: boolean;
  jobId: string;
  location?: string;
}

export type BigQueryParameter = { type: 'TIMESTAMP' | 'STRING' | 'DATE' | 'INT64'; value: string };

export interface BigQueryQuery {
  query: string;
  params?: Record<string, BigQueryParameter>;
  location?: string;
  /** Rows per page; BigQuery also caps a page at about 10 MB. */
  maxResults?: number;
  /** How long one call waits for the job to complete before answering `jobComplete: false`. */
  timeoutMs?: number;
  /** How many `jobComplete: false` answers to accept before giving up. */
  maxPolls?: number;
}

function send<T>(client: BigQuery, reqOpts: Record<string, unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    client.request(reqOpts as never, (error: unknown, body: unknown) => (error ? reject(error) : resolve(body as T)));
  });
}

function checkPage(body: unknown, operation: string): BigQueryPage {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw malformedReply('gcp', operation, 'the reply is not a JSON object');
  const reply = body as Record<string, unknown>;
  const jobReference = reply.jobReference as { jobId?: unknown; location?: unknown } | undefined;
  if (typeof jobReference?.jobId !== 'string') throw malformedReply('gcp', operation, 'jobReference.jobId is missing', 'jobReference');
  if (typeof reply.jobComplete !== 'boolean') throw malformedReply('gcp', operation, 'jobComplete is missing', 'jobComplete');
  const rows = reply.rows ?? [];
  if (!Array.isArray(rows)) throw malformedReply('gcp', operation, 'rows is not a list', 'rows');
  if (rows.length > 0 && !Array.isArray((reply.schema as BigQuerySchema | undefined)?.fields))
    throw malformedReply('gcp', operation, 'schema is missing', 'schema');
  if (reply.pageToken !== undefined && typeof reply.pageToken !== 'string')
    throw malformedReply('gcp', operation, 'pageToken is not a string', 'pageToken');
  return {
    schema: reply.schema as BigQuerySchema | undefined,
    rows: rows as BigQueryRow[],
    totalRows: typeof reply.totalRows === 'string' ? reply.totalRows : undefined,
    pageToken: (reply.pageToken as string | undefined) || undefined,
    jobComplete: reply.jobComplete,
    jobId: jobReference.jobId,
    location: typeof jobReference.location === 'string' ? jobReference.location : undefined,
  };
}

/**
 * Runs a query with `jobs.query` and reads every result page with `jobs.getQueryResults` (pageToken), one page at
 * a time: the caller's loop pulls the next page only when it has finished with the previous one.
 *
 * This goes through the client's authenticated `request` rather than `BigQuery#query`/`Job#getQueryResults`:
 * `query` dereferences a null job when the reply is not JSON (a crash, not an error), and `getQueryResults`
 * forwards its own options (skipParsing, autoPaginate) to the API as query-string parameters.
 */
export async function* fetchBigQueryPages(
  client: BigQuery,
  query: BigQueryQuery,
  options: RetryOptions = {},
): AsyncGenerator<BigQueryPage> {
  const requestId = randomUUID();
  const queryParameters = Object.entries(query.params ?? {}).map(([name, p]) => ({
    name,
    parameterType: { type: p.type },
    parameterValue: { value: p.value },
  }));
  const insert = 'BigQuery.jobs.query';
  let page = await callWithRetry({ provider: 'gcp', operation: insert, classify: classifyBigQueryError, ...options }, async () =>
    checkPage(
      await send(client, {
        method: 'POST',
        uri: '/queries',
        json: {
          query: query.query,
          useLegacySql: false,
          ...(queryParameters.length > 0 ? { parameterMode: 'NAMED', queryParameters } : {}),
          ...(query.location ? { location: query.location } : {}),
          ...(query.maxResults ? { maxResults: query.maxResults } : {}),
          ...(query.timeoutMs ? { timeoutMs: query.timeoutMs } : {}),
          formatOptions: { useInt64Timestamp: true },
          requestId,
        },
      }),
      insert,
    ),
  );
  const read = 'BigQuery.jobs.getQueryResults';
  const maxPolls = query.maxPolls ?? 60;
  const seen = new Set<string>();
  let polls = 0;
  for (;;) {
    if (page.jobComplete) {
      yield page;
      if (!page.pageToken) return;
      if (seen.has(page.pageToken)) throw malformedReply('gcp', read, 'pageToken repeats an earlier token', 'pageToken');
      seen.add(page.pageToken);
    } else if (++polls > maxPolls) {
      throw malformedReply('gcp', read, `the job was not complete after ${maxPolls} polls`);
    }
    const jobId = page.jobId;
    const location = page.location ?? query.location;
    const qs: Record<string, string | number | boolean> = { 'formatOptions.useInt64Timestamp': true };
    if (page.jobComplete && page.pageToken) qs.pageToken = page.pageToken;
    if (location) qs.location = location;
    if (query.maxResults) qs.maxResults = query.maxResults;
    if (query.timeoutMs) qs.timeoutMs = query.timeoutMs;
    page = await callWithRetry({ provider: 'gcp', operation: read, classify: classifyBigQueryError, ...options }, async () =>
      checkPage(await send(client, { uri: `/queries/${encodeURIComponent(jobId)}`, qs }), read),
    );
  }
}

/** The billing-export query for [start, end) (ISO dates or date-times, UTC), ready for fetchBigQueryPages. */
export function gcpBillingExportQuery(params: {
  table: string;
  start: string;
  end: string;
  granularity?: GcpBillingGranularity;
  location?: string;
  maxResults?: number;
}): BigQueryQuery {
  const timestamp = (value: string) => {
    const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(ms)) throw new RangeError(`Not a date: ${value}`);
    return new Date(ms).toISOString().replace('T', ' ').replace('Z', '+00');
  };
  return {
    query: gcpBillingQuery(params.table, params.granularity),
    params: { start: { type: 'TIMESTAMP', value: timestamp(params.start) }, end: { type: 'TIMESTAMP', value: timestamp(params.end) } },
    location: params.location,
    maxResults: params.maxResults ?? 10_000,
  };
}
