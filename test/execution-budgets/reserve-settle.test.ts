import { beforeAll, describe, expect, it } from 'vitest';
import { reserveExecutionBudget, settleExecutionBudget } from '../../shared/services/execution-budgets/execution-budgets.js';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoExecutionBudgetStore } from '../../shared/adapters/dynamo/execution-budget-store.js';
import { createToken } from '../../shared/domain/access/tokens.js';
import { DynamoTokenStore } from '../../shared/adapters/dynamo/token-store.js';
import { reserveRequestSchema, settleRequestSchema } from '../../shared/domain/budgets/execution-budgets.js';
import { useTestLedger } from '../support/ledger.js';
import { createBudget, reserve, settle, status } from './support.js';

const { ledger, api } = useTestLedger();
let store: DynamoExecutionBudgetStore;

beforeAll(() => {
  const db = createDocumentClient({ region: 'us-east-1', endpoint: ledger().dynamoEndpoint });
  store = new DynamoExecutionBudgetStore(db, ledger().tableName);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('reserve', () => {
  it('answers a retried reserve (same requestId) with the same reservation, counted once', async () => {
    const id = await createBudget(api, { name: 'retries', ceilings: { cost: '1', modelCalls: 10 }, window: 'hour' });
    const body = { requestId: 'call-7', estimate: { cost: '0.25', modelCalls: 1 } };
    const first = await reserve(api, id, body);
    expect(first).toMatchObject({
      decision: 'allow',
      deniedBy: [],
      replayed: false,
      status: 'open',
      remaining: { cost: '0.75', modelCalls: 9 },
    });
    expect(first.reservationId).toMatch(/^r-/);

    const again = await Promise.all([reserve(api, id, body), reserve(api, id, body), reserve(api, id, body)]);
    for (const answer of again) expect(answer).toEqual({ ...first, replayed: true });
    expect((await status(api, id)).current).toMatchObject({
      reserved: { cost: '0.25', modelCalls: 1 },
      remaining: { cost: '0.75', modelCalls: 9 },
    });

    const reused = await api('POST', `/v1/execution-budgets/${id}/reserve`, { body: { ...body, estimate: { cost: '0.5' } } });
    expect(reused.status).toBe(409);
    expect(reused.body.error.message).toContain('requestId: already used');
  });

  it('answers a deny as a 200 with what remains and which ceilings denied, and records nothing', async () => {
    const id = await createBudget(api, { name: 'deny', ceilings: { tokens: 1000, retries: 2 }, window: 'day' });
    expect(await reserve(api, id, { requestId: 'a', estimate: { tokens: 600, retries: 1 } })).toMatchObject({ decision: 'allow' });
    const denied = await reserve(api, id, { requestId: 'b', estimate: { tokens: 500, retries: 2 } });
    expect(denied).toMatchObject({
      decision: 'deny',
      reservationId: null,
      expiresAt: null,
      deniedBy: ['tokens', 'retries'],
      remaining: { cost: null, tokens: 400, modelCalls: null, retries: 1 },
      status: null,
    });
    // the estimate alone over a ceiling
    expect(await reserve(api, id, { requestId: 'c', estimate: { tokens: 1001 } })).toMatchObject({
      decision: 'deny',
      deniedBy: ['tokens'],
    });
    expect((await status(api, id)).current).toMatchObject({ reserved: { tokens: 600, retries: 1 }, used: { tokens: 0, retries: 0 } });
    // a denied requestId is free to ask again once there is room
    expect(await reserve(api, id, { requestId: 'b', estimate: { tokens: 400, retries: 1 } })).toMatchObject({
      decision: 'allow',
      replayed: false,
    });
  });

  it('answers 404 for an unknown budget and 400 without conversationId on a per-conversation budget', async () => {
    const unknown = await api('POST', '/v1/execution-budgets/no-such-budget/reserve', {
      body: { requestId: 'x', estimate: { tokens: 1 } },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain("id: no execution budget 'no-such-budget'");

    const id = await createBudget(api, { name: 'per conversation', per: 'conversation', ceilings: { tokens: 10 }, window: 'day' });
    const missing = await api('POST', `/v1/execution-budgets/${id}/reserve`, { body: { requestId: 'x', estimate: { tokens: 1 } } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('conversationId: required');
  });

  it('keeps per-conversation counters independent', async () => {
    const id = await createBudget(api, {
      name: 'chat',
      appliesTo: { agent: 'support-bot' },
      per: 'conversation',
      ceilings: { tokens: 1000 },
      window: 'day',
    });
    expect(await reserve(api, id, { requestId: 'a1', conversationId: 'conv-a', estimate: { tokens: 800 } })).toMatchObject({
      decision: 'allow',
      conversationId: 'conv-a',
    });
    expect(await reserve(api, id, { requestId: 'a2', conversationId: 'conv-a', estimate: { tokens: 300 } })).toMatchObject({
      decision: 'deny',
      remaining: { tokens: 200 },
    });
    expect(await reserve(api, id, { requestId: 'b1', conversationId: 'conv-b', estimate: { tokens: 1000 } })).toMatchObject({
      decision: 'allow',
      remaining: { tokens: 0 },
    });

    expect((await status(api, id, 'conv-a')).current).toMatchObject({
      conversationId: 'conv-a',
      reserved: { tokens: 800 },
      remaining: { tokens: 200 },
    });
    expect((await status(api, id, 'conv-b')).current).toMatchObject({
      conversationId: 'conv-b',
      reserved: { tokens: 1000 },
      remaining: { tokens: 0 },
    });
    expect((await status(api, id, 'conv-c')).current).toMatchObject({ reserved: { tokens: 0 }, remaining: { tokens: 1000 } });
    expect((await status(api, id)).current).toBeNull();
    // requestIds are unique per budget: the same one for another conversation is a mistake, not a replay
    const reused = await api('POST', `/v1/execution-budgets/${id}/reserve`, {
      body: { requestId: 'a1', conversationId: 'conv-c', estimate: { tokens: 800 } },
    });
    expect(reused.status).toBe(409);
  });
});

describe('settle', () => {
  it('moves the estimate out of reserved, adds the actual to used, and frees the difference', async () => {
    const id = await createBudget(api, { name: 'settle', ceilings: { cost: '2', tokens: 5000 }, window: 'month' });
    const granted = await reserve(api, id, { requestId: 's1', estimate: { cost: '1.5', tokens: 4000, modelCalls: 2 } });
    expect(await reserve(api, id, { requestId: 's2', estimate: { cost: '1' } })).toMatchObject({
      decision: 'deny',
      deniedBy: ['cost'],
      remaining: { cost: '0.5' },
    });

    const settled = await settle(api, id, {
      reservationId: granted.reservationId,
      actual: { cost: '0.4125', tokens: 3300, modelCalls: 2 },
    });
    expect(settled).toMatchObject({
      reservationId: granted.reservationId,
      status: 'settled',
      estimate: { cost: '1.5', tokens: 4000, modelCalls: 2, retries: 0 },
      actual: { cost: '0.4125', tokens: 3300, modelCalls: 2, retries: 0 },
      releasedBeforeSettle: false,
      remaining: { cost: '1.5875', tokens: 1700, modelCalls: null, retries: null },
    });
    expect((await status(api, id)).current).toMatchObject({
      reserved: { cost: '0', tokens: 0, modelCalls: 0 },
      used: { cost: '0.4125', tokens: 3300, modelCalls: 2 },
      remaining: { cost: '1.5875', tokens: 1700 },
    });
    // the freed room is there for the next reserve
    expect(await reserve(api, id, { requestId: 's2', estimate: { cost: '1' } })).toMatchObject({
      decision: 'allow',
      remaining: { cost: '0.5875' },
    });
  });

  it('settling twice counts once; a different actual the second time is a 409', async () => {
    const id = await createBudget(api, { name: 'twice', ceilings: { tokens: 100 }, window: 'week' });
    const { reservationId } = await reserve(api, id, { requestId: 't1', estimate: { tokens: 60 } });
    const body = { reservationId, actual: { tokens: 45 } };
    const [first, second] = await Promise.all([settle(api, id, body), settle(api, id, body)]);
    expect(second).toEqual(first);
    expect(await settle(api, id, body)).toEqual(first);
    expect((await status(api, id)).current).toMatchObject({ reserved: { tokens: 0 }, used: { tokens: 45 }, remaining: { tokens: 55 } });

    const different = await api('POST', `/v1/execution-budgets/${id}/settle`, { body: { reservationId, actual: { tokens: 50 } } });
    expect(different.status).toBe(409);
    expect(different.body.error.message).toContain('actual: this reservation was settled before with a different actual');
  });

  it('answers 404 for a reservation that does not exist or belongs to another budget', async () => {
    const a = await createBudget(api, { name: 'a', ceilings: { tokens: 100 }, window: 'day' });
    const b = await createBudget(api, { name: 'b', ceilings: { tokens: 100 }, window: 'day' });
    const { reservationId } = await reserve(api, a, { requestId: 'r', estimate: { tokens: 1 } });
    const wrongBudget = await api('POST', `/v1/execution-budgets/${b}/settle`, { body: { reservationId, actual: { tokens: 1 } } });
    expect(wrongBudget.status).toBe(404);
    expect(wrongBudget.body.error.message).toContain(`reservationId: no reservation '${reservationId}' on execution budget '${b}'`);
    const unknown = await api('POST', `/v1/execution-budgets/${a}/settle`, {
      body: { reservationId: 'r-AAAAAAAAAAAAAAAAAAAAAA', actual: {} },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('expiry', () => {
  it('releases an unsettled reservation after its TTL, and a late settle still records the actual', async () => {
    const id = await createBudget(api, { name: 'ttl', ceilings: { tokens: 100 }, window: 'day', reservationTtlSeconds: 1 });
    const held = await reserve(api, id, { requestId: 'slow', estimate: { tokens: 80 } });
    expect(await reserve(api, id, { requestId: 'blocked', estimate: { tokens: 30 } })).toMatchObject({ decision: 'deny' });

    await sleep(1500);
    // The status read releases it first.
    expect((await status(api, id)).current).toMatchObject({ reserved: { tokens: 0 }, used: { tokens: 0 }, remaining: { tokens: 100 } });
    expect(await reserve(api, id, { requestId: 'blocked', estimate: { tokens: 30 } })).toMatchObject({
      decision: 'allow',
      remaining: { tokens: 70 },
    });
    // A retried reserve of the expired one answers it as it is now, and does not hold it again.
    expect(await reserve(api, id, { requestId: 'slow', estimate: { tokens: 80 } })).toMatchObject({
      reservationId: held.reservationId,
      replayed: true,
      status: 'expired',
    });

    const late = await settle(api, id, { reservationId: held.reservationId, actual: { tokens: 50 } });
    expect(late).toMatchObject({ status: 'settled', releasedBeforeSettle: true, actual: { tokens: 50 }, remaining: { tokens: 20 } });
    expect((await status(api, id)).current).toMatchObject({ reserved: { tokens: 30 }, used: { tokens: 50 } });
  });

  it('releases expired reservations before a reserve even without a status read', async () => {
    const id = await createBudget(api, { name: 'ttl reserve', ceilings: { modelCalls: 3 }, window: 'hour', reservationTtlSeconds: 1 });
    for (const requestId of ['a', 'b', 'c'])
      expect(await reserve(api, id, { requestId, estimate: { modelCalls: 1 } })).toMatchObject({ decision: 'allow' });
    await sleep(1500);
    const answers = await Promise.all(
      ['d', 'e', 'f', 'g'].map((requestId) => reserve(api, id, { requestId, estimate: { modelCalls: 1 } })),
    );
    expect(answers.filter((a) => a.decision === 'allow')).toHaveLength(3);
    expect((await status(api, id)).current).toMatchObject({ reserved: { modelCalls: 3 } });
  });
});

describe('windows (time passed in)', () => {
  it('starts a fresh counter when the window rolls over, and settles into the window it reserved in', async () => {
    const id = await createBudget(api, { name: 'hourly', ceilings: { cost: '1' }, window: 'hour' });
    const reserveAt = (iso: string, requestId: string, cost: string) =>
      reserveExecutionBudget(store, id, reserveRequestSchema.parse({ requestId, estimate: { cost } }), {
        nowMs: Date.parse(iso),
        defaultTtlSeconds: 300,
      });

    const before = await reserveAt('2026-11-20T10:59:59.000Z', 'w1', '1');
    expect(before).toMatchObject({
      decision: 'allow',
      window: { kind: 'hour', start: '2026-11-20T10:00:00.000Z', end: '2026-11-20T11:00:00.000Z' },
    });
    expect(await reserveAt('2026-11-20T10:59:59.999Z', 'w2', '0.01')).toMatchObject({ decision: 'deny', remaining: { cost: '0' } });
    const after = await reserveAt('2026-11-20T11:00:00.000Z', 'w3', '0.75');
    expect(after).toMatchObject({ decision: 'allow', remaining: { cost: '0.25' }, window: { start: '2026-11-20T11:00:00.000Z' } });

    // Settled in the next hour, the 10:00 reservation's actual belongs to 10:00.
    const settled = await settleExecutionBudget(
      store,
      id,
      settleRequestSchema.parse({ reservationId: before.reservationId, actual: { cost: '0.9' } }),
      Date.parse('2026-11-20T11:00:30Z'),
    );
    expect(settled).toMatchObject({ window: { start: '2026-11-20T10:00:00.000Z' }, remaining: { cost: '0.1' } });
    expect(await reserveAt('2026-11-20T11:01:00.000Z', 'w4', '0.25')).toMatchObject({ decision: 'allow', remaining: { cost: '0' } });
  });

  it('a lifetime budget never rolls over', async () => {
    const id = await createBudget(api, { name: 'lifetime', ceilings: { retries: 2 }, window: 'lifetime' });
    const spendAt = async (iso: string, requestId: string) => {
      const nowMs = Date.parse(iso);
      const answer = await reserveExecutionBudget(store, id, reserveRequestSchema.parse({ requestId, estimate: { retries: 1 } }), {
        nowMs,
        defaultTtlSeconds: 300,
      });
      if (answer.decision === 'allow')
        await settleExecutionBudget(
          store,
          id,
          settleRequestSchema.parse({ reservationId: answer.reservationId, actual: { retries: 1 } }),
          nowMs + 1000,
        );
      return answer;
    };
    expect(await spendAt('2026-01-01T00:00:00Z', 'l1')).toMatchObject({
      decision: 'allow',
      window: { kind: 'lifetime', start: null, end: null },
    });
    expect(await spendAt('2027-06-01T00:00:00Z', 'l2')).toMatchObject({ decision: 'allow', remaining: { retries: 0 } });
    expect(await spendAt('2030-06-01T00:00:00Z', 'l3')).toMatchObject({ decision: 'deny', deniedBy: ['retries'] });
  });
});

describe('definitions', () => {
  it('creates, lists, reads, replaces and deletes', async () => {
    const created = await api('POST', '/v1/execution-budgets', {
      body: {
        name: 'crud',
        appliesTo: { workflow: 'crud-flow' },
        ceilings: { cost: '3.50', retries: 5 },
        window: 'week',
        reservationTtlSeconds: 120,
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({
      name: 'crud',
      appliesTo: { workflow: 'crud-flow', agent: null },
      per: 'budget',
      ceilings: { cost: '3.5', tokens: null, modelCalls: null, retries: 5 },
      window: 'week',
      reservationTtlSeconds: 120,
    });

    const listed = await api('GET', '/v1/execution-budgets?workflow=crud-flow');
    expect(listed.body.budgets).toEqual([created.body]);
    expect((await api('GET', '/v1/execution-budgets?workflow=another')).body.budgets).toEqual([]);

    const read = await status(api, id);
    expect(read).toMatchObject({
      ...created.body,
      current: { window: { kind: 'week' }, conversationId: null, remaining: { cost: '3.5', retries: 5 } },
    });

    const replaced = await api('PUT', `/v1/execution-budgets/${id}`, {
      body: { name: 'crud v2', ceilings: { tokens: 10 }, window: 'day' },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      id,
      name: 'crud v2',
      createdAt: created.body.createdAt,
      ceilings: { cost: null, tokens: 10 },
      reservationTtlSeconds: null,
    });

    expect((await api('DELETE', `/v1/execution-budgets/${id}`)).status).toBe(204);
    expect((await api('GET', `/v1/execution-budgets/${id}`)).status).toBe(404);
    expect((await api('DELETE', `/v1/execution-budgets/${id}`)).status).toBe(404);
    expect((await api('PUT', `/v1/execution-budgets/${id}`, { body: { name: 'x', ceilings: { tokens: 1 }, window: 'day' } })).status).toBe(
      404,
    );
  });

  it('lets an ingest token reserve and settle but not create or change budgets', async () => {
    const tokens = new DynamoTokenStore(
      createDocumentClient({ region: 'us-east-1', endpoint: ledger().dynamoEndpoint }),
      ledger().tableName,
    );
    const agent = (await createToken(tokens, { name: 'agent', scopes: ['ingest'], now: new Date() })).token;
    const reader = (await createToken(tokens, { name: 'reader', scopes: ['read'], now: new Date() })).token;
    const id = await createBudget(api, { name: 'scopes', ceilings: { tokens: 10 }, window: 'day' });

    const reserved = await api('POST', `/v1/execution-budgets/${id}/reserve`, {
      token: agent,
      body: { requestId: 'x', estimate: { tokens: 1 } },
    });
    expect(reserved.status).toBe(200);
    expect(
      (
        await api('POST', `/v1/execution-budgets/${id}/settle`, {
          token: agent,
          body: { reservationId: reserved.body.reservationId, actual: {} },
        })
      ).status,
    ).toBe(200);
    expect(
      (await api('POST', `/v1/execution-budgets/${id}/reserve`, { token: reader, body: { requestId: 'y', estimate: {} } })).status,
    ).toBe(403);
    expect(
      (await api('POST', '/v1/execution-budgets', { token: agent, body: { name: 'n', ceilings: { tokens: 1 }, window: 'day' } })).status,
    ).toBe(403);
    expect((await api('DELETE', `/v1/execution-budgets/${id}`, { token: agent })).status).toBe(403);
  });
});
