import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoTokenStore } from '../../shared/adapters/dynamo/token-store.js';
import { createToken, keyIdOf } from '../../shared/domain/access/tokens.js';
import type { LedgerRuntime } from '../../local/runtime.js';
import { apiClient, startTestLedger } from '../support/ledger.js';

let ledger: LedgerRuntime;
let api: ReturnType<typeof apiClient>;
let tokens: DynamoTokenStore;
const made: Record<string, string> = {};
const DEV = 'dev-token-for-scripts-0123456789';

beforeAll(async () => {
  ledger = await startTestLedger({ devToken: DEV });
  api = apiClient(ledger);
  tokens = new DynamoTokenStore(createDocumentClient({ region: 'us-east-1', endpoint: ledger.dynamoEndpoint }), ledger.tableName);
  for (const scope of ['ingest', 'read', 'admin'] as const)
    made[scope] = (await createToken(tokens, { name: scope, scopes: [scope], now: new Date() })).token;
  made.revoked = (await createToken(tokens, { name: 'old', scopes: ['ingest', 'read'], now: new Date() })).token;
  await tokens.revokeToken(keyIdOf(made.revoked), new Date().toISOString());
});
afterAll(async () => ledger?.stop());

const batch = () => ({
  batchId: `auth-${Math.random().toString(36).slice(2)}`,
  host: { hostId: 'auth-host' },
  samples: [{ time: Date.now() - 60_000, gpu: { index: 0, uuid: 'u', model: 'm' }, fields: { DCGM_FI_DEV_GPU_UTIL: 50 } }],
});

describe('authentication and scopes', () => {
  it.each([
    ['no Authorization header', null, undefined, 401, 'a bearer token is required'],
    ['a Basic scheme', null, { authorization: 'Basic dXNlcjpwYXNz' }, 401, 'a bearer token is required'],
    ['an unknown token', 'cl_not-a-real-token', undefined, 401, 'not valid'],
    ['a revoked token', 'revoked', undefined, 401, 'revoked'],
    ['a read-only token', 'read', undefined, 403, "lacks the 'ingest' scope"],
  ])('ingest with %s is refused', async (_, tokenName, headers, status, message) => {
    const token = tokenName === null ? null : (made[tokenName] ?? tokenName);
    const response = await api('POST', '/v1/measurements', { body: batch(), token, ...(headers ? { headers } : {}) });
    expect(response.status).toBe(status);
    expect(response.body.error.message).toContain(message);
    if (status === 401) expect(response.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('refuses to parse the body of an unauthenticated request', async () => {
    const response = await api('POST', '/v1/measurements', {
      body: 'not json at all',
      token: null,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(401);
  });

  it('lets the ingest scope post and refuses it reads', async () => {
    expect((await api('POST', '/v1/measurements', { body: batch(), token: made.ingest! })).status).toBe(202);
    const read = await api('GET', '/v1/fleet/utilization', { token: made.ingest! });
    expect(read.status).toBe(403);
    expect(read.body.error.message).toContain("lacks the 'read' scope");
  });

  it('lets the read scope read; admin implies every scope; the dev token has all', async () => {
    expect((await api('GET', '/v1/fleet/utilization', { token: made.read! })).status).toBe(200);
    expect((await api('GET', '/v1/fleet/utilization', { token: made.admin! })).status).toBe(200);
    expect((await api('POST', '/v1/measurements', { body: batch(), token: made.admin! })).status).toBe(202);
    expect((await api('POST', '/v1/measurements', { body: batch(), token: DEV })).status).toBe(202);
    expect(ledger.token).toBe(DEV);
  });

  it('stores no token in the clear', async () => {
    const all = await tokens.listTokens();
    expect(all.length).toBe(5);
    const serialized = JSON.stringify(all);
    for (const secret of [...Object.values(made), DEV]) expect(serialized).not.toContain(secret);
  });

  it('needs no token for health and the API document', async () => {
    const health = await api('GET', '/v1/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', store: 'ok' });
    const doc = await api('GET', '/v1/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
  });
});
