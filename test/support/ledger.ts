import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, inject } from 'vitest';
import { startLedger, type LedgerRuntime } from '../../local/runtime.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** The local runtime on a random port, over the run's DynamoDB Local, with a table of its own. */
export async function startTestLedger(options: { devToken?: string } = {}): Promise<LedgerRuntime> {
  return startLedger({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `test-${randomUUID().slice(0, 8)}`,
    ...options,
  });
}

/**
 * A test ledger for the tests of the calling file (or describe block): started in `beforeAll`, stopped in
 * `afterAll`. `ledger()` answers the runtime once started; `api` can be taken at once, as it reads the runtime's
 * address and token on each call.
 */
export function useTestLedger(options: { devToken?: string } = {}): { ledger: () => LedgerRuntime; api: ReturnType<typeof apiClient> } {
  let runtime: LedgerRuntime | undefined;
  beforeAll(async () => {
    runtime = await startTestLedger(options);
  });
  afterAll(async () => runtime?.stop());
  const ledger = () => {
    if (!runtime) throw new Error('the test ledger is not started: use it in a test or in a beforeAll after useTestLedger()');
    return runtime;
  };
  return {
    ledger,
    api: apiClient({
      get url() {
        return ledger().url;
      },
      get token() {
        return ledger().token;
      },
    }),
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small client for the local API. `body` objects are sent as JSON; Buffers as they are. */
export function apiClient(runtime: Pick<LedgerRuntime, 'url' | 'token'>) {
  return async function request<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string | null; headers?: Record<string, string>; gzip?: boolean } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? runtime.token : options.token;
    if (token !== null) headers.authorization ??= `Bearer ${token}`;
    let body: Buffer | string | undefined;
    if (Buffer.isBuffer(options.body) || typeof options.body === 'string') body = options.body;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    if (options.gzip && body !== undefined) {
      body = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    }
    const response = await fetch(`${runtime.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: leave the text
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };
}
