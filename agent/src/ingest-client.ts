/**
 * One POST of one encoded batch to `{url}/v1/measurements`, classified for the delivery loop:
 * 2xx accepted; 400/401/403/413/415 rejected for good (the batch is dropped and counted); 429, 5xx, other statuses,
 * network errors and timeouts are retried.
 */
import { httpRequest, loggableUrl } from './http-client.js';
import type { IngestResult } from './wire.js';

export type PostOutcome =
  | { kind: 'accepted'; status: number; result?: IngestResult }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'retry'; status?: number; message: string; retryAfterMs?: number };

export const PERMANENT_STATUSES = new Set([400, 401, 403, 413, 415]);

export interface IngestClientOptions {
  url: string;
  token: string;
  timeoutMs: number;
  userAgent: string;
}

/** Retry-After as seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error message from the API's `{ "error": { "code", "message" } }` body, without echoing anything long. */
function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
    if (code || message) return [code, message].filter(Boolean).join(': ').slice(0, 300);
  } catch {
    /* not JSON */
  }
  return body.slice(0, 200);
}

export function measurementsEndpoint(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/v1/measurements`;
}

export async function postBatch(options: IngestClientOptions, body: Buffer, signal?: AbortSignal): Promise<PostOutcome> {
  const endpoint = measurementsEndpoint(options.url);
  let res;
  try {
    res = await httpRequest(endpoint, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${options.token}`,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
        'Content-Length': body.length,
        'User-Agent': options.userAgent,
        Accept: 'application/json',
      },
      body,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: 64 * 1024,
      signal,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { kind: 'retry', message: `${code ? `${code}: ` : ''}${(err as Error).message} (${loggableUrl(endpoint)})` };
  }
  if (res.status >= 200 && res.status < 300) {
    let result: IngestResult | undefined;
    try {
      result = JSON.parse(res.body) as IngestResult;
    } catch {
      result = undefined;
    }
    return { kind: 'accepted', status: res.status, result };
  }
  const message = errorMessage(res.body);
  if (PERMANENT_STATUSES.has(res.status)) return { kind: 'rejected', status: res.status, message };
  return { kind: 'retry', status: res.status, message, retryAfterMs: parseRetryAfter(res.headers['retry-after']) };
}
