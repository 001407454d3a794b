import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';
import type { LocalRunOptions } from '../../local/analysis-runner.js';
import { startLedger, type LedgerRuntime } from '../../local/runtime.js';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { ensureLedgerTable } from '../../shared/adapters/dynamo/create-table.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * The one way tests start a ledger: the local runtime over the run's DynamoDB Local (`inject('dynamoEndpoint')`),
 * on a free port, with a table of its own. Each option replaces one of those defaults.
 */
export interface TestLedgerOptions {
  /** Registered with every scope, as LEDGER_DEV_TOKEN is; without it a fresh token is made. */
  devToken?: string;
  /** A fixed port, to stop the ledger and start it again on the same address; by default a free one. */
  port?: number;
  /** A given table: one a CLI child process shares, or one kept across a restart; by default a fresh one. */
  tableName?: string;
  /** How the local state machine runs its tasks. */
  analysis?: LocalRunOptions;
}

/** A fresh table name, `<prefix>-<8 hex digits>`. */
export function freshTableName(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A test ledger started now; the caller stops it. */
export async function startTestLedger(options: TestLedgerOptions = {}): Promise<LedgerRuntime> {
  return startLedger({
    port: options.port ?? 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: options.tableName ?? freshTableName(),
    ...(options.devToken !== undefined ? { devToken: options.devToken } : {}),
    ...(options.analysis !== undefined ? { analysis: options.analysis } : {}),
  });
}

/**
 * A test ledger for the tests of the calling file (or describe block): started in `beforeAll`, stopped in
 * `afterAll`. `ledger()` answers the runtime once started; `api` can be taken at once, as it reads the runtime's
 * address and token on each call.
 */
export function useTestLedger(options: TestLedgerOptions = {}): { ledger: () => LedgerRuntime; api: ReturnType<typeof apiClient> } {
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

/** The table of a test ledger without its API: for tests of stores and services. */
export interface TestTable {
  endpoint: string;
  tableName: string;
  db: DynamoDBDocumentClient;
}

/** A fresh table (`<prefix>-…`) on the run's DynamoDB Local, with no runtime around it. */
export async function startTestTable(options: { prefix?: string } = {}): Promise<TestTable> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = freshTableName(options.prefix);
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureLedgerTable(raw, tableName);
  raw.destroy();
  return { endpoint, tableName, db: createDocumentClient({ region: 'us-east-1', endpoint }) };
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
