import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoTokenStore } from '../../shared/adapters/dynamo/token-store.js';
import { createToken } from '../../shared/domain/access/tokens.js';
import { useTestLedger } from '../support/ledger.js';

const { ledger, api } = useTestLedger();
let readToken: string;

beforeAll(async () => {
  const tokens = new DynamoTokenStore(createDocumentClient({ region: 'us-east-1', endpoint: ledger().dynamoEndpoint }), ledger().tableName);
  readToken = (await createToken(tokens, { name: 'reader', scopes: ['read'], now: new Date() })).token;
});

const valid = {
  name: 'Search GPUs',
  scope: { provider: 'aws', team: 'search', tag: { key: 'env', value: 'prod' } },
  amount: '25000.00',
  period: 'monthly',
};

describe('budgets over HTTP', () => {
  it('creates, reads, lists, replaces and deletes a budget', async () => {
    const created = await api('POST', '/v1/budgets', { body: valid });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body).toMatchObject({
      name: 'Search GPUs',
      scope: valid.scope,
      amount: '25000',
      currency: 'USD',
      period: 'monthly',
      thresholds: [
        { percent: 50, on: 'actual' },
        { percent: 80, on: 'actual' },
        { percent: 100, on: 'actual' },
        { percent: 100, on: 'forecast' },
      ],
    });
    expect(created.body.createdAt).toBe(created.body.updatedAt);

    expect((await api('GET', `/v1/budgets/${id}`)).body).toEqual(created.body);
    const other = await api('POST', '/v1/budgets', { body: { name: 'All spend', amount: '100000', period: 'weekly' } });
    const list = await api('GET', '/v1/budgets', { token: readToken });
    expect(list.status).toBe(200);
    expect(list.body.budgets.map((b: { name: string }) => b.name)).toEqual(['All spend', 'Search GPUs']);

    const replaced = await api('PUT', `/v1/budgets/${id}`, {
      body: {
        name: 'Search GPUs (Q4)',
        scope: { team: 'search' },
        amount: '30000',
        period: { custom: { start: '2026-10-01', end: '2027-01-01' } },
        thresholds: [{ percent: 90, on: 'forecast' }],
      },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      id,
      name: 'Search GPUs (Q4)',
      scope: { team: 'search' },
      amount: '30000',
      period: { custom: { start: '2026-10-01', end: '2027-01-01' } },
      thresholds: [{ percent: 90, on: 'forecast' }],
      createdAt: created.body.createdAt,
    });
    expect((await api('GET', `/v1/budgets/${id}`)).body).toEqual(replaced.body);

    const deleted = await api('DELETE', `/v1/budgets/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const gone = await api('GET', `/v1/budgets/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toBe(`id: no budget '${id}'`);
    expect((await api('DELETE', `/v1/budgets/${id}`)).status).toBe(404);
    expect((await api('PUT', `/v1/budgets/${id}`, { body: valid })).status).toBe(404);
    expect((await api('GET', `/v1/budgets/${id}/status`)).status).toBe(404);
    expect((await api('GET', '/v1/budgets')).body.budgets.map((b: { id: string }) => b.id)).toEqual([other.body.id]);
  });

  it('answers 400 naming the field for each malformed input, and creates nothing', async () => {
    const before = (await api('GET', '/v1/budgets')).body.budgets.length;
    const cases: Array<[unknown, string]> = [
      [{ ...valid, name: undefined }, 'name:'],
      [{ ...valid, amount: 'abc' }, 'amount: must be a decimal string'],
      [{ ...valid, amount: 25000 }, 'amount: must be a decimal string'],
      [{ ...valid, amount: '-1' }, 'amount: must be a decimal string'],
      [{ ...valid, amount: '0' }, 'amount: must be more than 0'],
      [{ ...valid, currency: 'EUR' }, "currency: only 'USD' is supported"],
      [{ ...valid, period: 'yearly' }, "period: must be 'daily', 'weekly' (ISO, from Monday), 'monthly'"],
      [{ ...valid, period: { custom: { start: '2026-12-01', end: '2026-11-01' } } }, 'period.custom.end: must be after start'],
      [
        { ...valid, period: { custom: { start: '2026-01-01', end: '2028-01-01' } } },
        'period.custom.end: the period may span at most 400 days',
      ],
      [{ ...valid, period: { custom: { start: 'tomorrow', end: '2026-11-01' } } }, 'period.custom.start: must be a date, YYYY-MM-DD'],
      [{ ...valid, period: { custom: { start: '2026-11-01' } } }, 'period: custom.end: must be a date, YYYY-MM-DD'],
      [{ ...valid, period: { monthly: true } }, "period: must be 'daily'"],
      [{ ...valid, scope: { provider: 'ibm' } }, "scope.provider: must be 'aws', 'azure' or 'gcp'"],
      [{ ...valid, scope: { teams: 'search' } }, 'scope: Unrecognized key: "teams"'],
      [{ ...valid, scope: { tag: { key: 'env' } } }, 'scope.tag.value: must be a string'],
      [{ ...valid, scope: { service: 'Amazon EC2', workflow: 'support-bot' } }, 'scope.workflow: cannot be combined with service'],
      [{ ...valid, thresholds: [] }, 'thresholds: must list at least one threshold'],
      [{ ...valid, thresholds: [{ percent: 80, on: 'budgeted' }] }, "thresholds[0].on: must be 'actual' or 'forecast'"],
      [{ ...valid, thresholds: [{ percent: -5, on: 'actual' }] }, 'thresholds[0].percent: must be more than 0'],
      [
        {
          ...valid,
          thresholds: [
            { percent: 80, on: 'actual' },
            { percent: 80, on: 'actual' },
          ],
        },
        'thresholds[1]: repeats 80% on actual',
      ],
      [{ ...valid, owner: 'me' }, '(body): Unrecognized key: "owner"'],
      [[valid], '(body):'],
    ];
    for (const [body, message] of cases) {
      const response = await api('POST', '/v1/budgets', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(response.body.error.message, JSON.stringify(body)).toContain(message);
    }
    const notJson = await api('POST', '/v1/budgets', { body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/^body: not valid JSON/);
    expect((await api('POST', '/v1/budgets', { body: 'name=x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await api('GET', '/v1/budgets')).body.budgets).toHaveLength(before);
  });

  it('names the id when the path is malformed, and the body when a replacement is', async () => {
    const created = await api('POST', '/v1/budgets', { body: valid });
    for (const [method, path] of [
      ['GET', '/v1/budgets/not%20an%20id'],
      ['GET', '/v1/budgets/not%20an%20id/status'],
      ['DELETE', '/v1/budgets/not%20an%20id'],
      ['GET', `/v1/budgets/${'x'.repeat(65)}`],
    ] as const) {
      const response = await api(method, path);
      expect(response.status, path).toBe(400);
      expect(response.body.error.message).toMatch(/^Invalid path: id: must be a budget id/);
    }
    const bad = await api('PUT', `/v1/budgets/${created.body.id}`, { body: { ...valid, period: { custom: { start: '2026-11-01' } } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('Invalid body: period: custom.end: must be a date, YYYY-MM-DD');
    expect((await api('GET', `/v1/budgets/${created.body.id}`)).body).toEqual(created.body);
  });

  it('lets a read token read but not change budgets', async () => {
    const created = await api('POST', '/v1/budgets', { body: valid });
    expect((await api('GET', `/v1/budgets/${created.body.id}`, { token: readToken })).status).toBe(200);
    expect((await api('GET', `/v1/budgets/${created.body.id}/status`, { token: readToken })).status).toBe(200);
    const refused = await api('POST', '/v1/budgets', { body: valid, token: readToken });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe("authorization: the token lacks the 'admin' scope");
    expect((await api('DELETE', `/v1/budgets/${created.body.id}`, { token: readToken })).status).toBe(403);
    expect((await api('GET', '/v1/budgets', { token: null })).status).toBe(401);
  });
});
