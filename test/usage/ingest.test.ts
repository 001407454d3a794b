import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRuntime } from '../../local/runtime.js';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo/usage-store.js';
import { parseUsageBatch } from '../../shared/domain/usage/usage-events.js';
import { ingestUsage } from '../../shared/domain/usage/usage-ingest.js';
import { apiClient, startTestLedger } from '../support/ledger.js';
import { testMinute, testPrices, usageEvent, window, type WireEvent } from './helpers.js';

let ledger: LedgerRuntime;
let api: ReturnType<typeof apiClient>;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  ledger = await startTestLedger();
  api = apiClient(ledger);
  db = createDocumentClient({ region: 'us-east-1', endpoint: ledger.dynamoEndpoint });
  for (const [model, body] of Object.entries(testPrices)) {
    const response = await api('PUT', `/v1/model-prices/${model}`, { body });
    expect(response.status).toBe(200);
  }
});
afterAll(async () => ledger?.stop());

async function post(events: WireEvent[], batchId?: string) {
  return api('POST', '/v1/usage', { body: { ...(batchId ? { batchId } : {}), events }, gzip: true });
}

async function report(minute: number, query: Record<string, string> = {}, minutes = 1) {
  const response = await api('GET', window(minute, minute + minutes * 60_000, query));
  expect(response.status).toBe(200);
  return response.body;
}

/** A document client whose PutItem calls fail after the first `n`, as if the process died mid-batch. */
function failingAfter(n: number): DynamoDBDocumentClient {
  let writes = 0;
  return {
    send: (command: unknown) => {
      if (command instanceof PutCommand && ++writes > n) return Promise.reject(new Error(`injected failure after ${n} writes`));
      return db.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
}

describe('POST /v1/usage pricing', () => {
  it('prices cached, cache-write and reasoning tokens exactly, once, at ingest', async () => {
    const minute = testMinute(1);
    const events = [
      // 1,376 uncached × 2.5e-6 + 1,024 cached × 1.25e-6 + 180 × 1e-5 = 0.00652
      usageEvent({
        time: minute + 1_000,
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 2400,
        'gen_ai.usage.cache_read.input_tokens': 1024,
        'gen_ai.usage.output_tokens': 180,
        'ledger.team': 'pricing',
      }),
      // 104 × 3e-6 + 4,096 × 3e-7 + 1,000 × 3.75e-6 + 640 × 1.5e-5 = 0.0148908
      usageEvent({
        time: minute + 2_000,
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.usage.input_tokens': 5200,
        'gen_ai.usage.cache_read.input_tokens': 4096,
        'gen_ai.usage.cache_creation.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 640,
        'ledger.team': 'pricing',
      }),
      // 800 × 1.1e-6 + 500 × 4.4e-6 + 2,500 reasoning × 5e-6 = 0.01558
      usageEvent({
        time: minute + 3_000,
        'gen_ai.request.model': 'o4-mini',
        'gen_ai.usage.input_tokens': 800,
        'gen_ai.usage.output_tokens': 3000,
        'gen_ai.usage.reasoning.output_tokens': 2500,
        'ledger.team': 'pricing',
      }),
      // unknown model: tokens kept, cost left out, flagged
      usageEvent({
        time: minute + 4_000,
        'gen_ai.request.model': 'llama-3.1-8b-instruct',
        'gen_ai.usage.input_tokens': 1500,
        'gen_ai.usage.output_tokens': 220,
        'ledger.team': 'pricing',
      }),
    ];
    const response = await post(events);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 4, duplicates: 0, unpriced: 1 });

    const store = new DynamoUsageStore(db, ledger.tableName);
    expect(await store.usageEvent(events[0]!['ledger.request.id'] as string)).toMatchObject({
      cost: '0.00652',
      pricedAs: 'gpt-4o',
      model: 'gpt-4o-2024-08-06',
      unpriced: false,
    });
    expect(await store.usageEvent(events[1]!['ledger.request.id'] as string)).toMatchObject({
      cost: '0.0148908',
      cacheReadTokens: 4096,
      cacheCreationTokens: 1000,
    });
    expect(await store.usageEvent(events[2]!['ledger.request.id'] as string)).toMatchObject({ cost: '0.01558', reasoningTokens: 2500 });
    const unpriced = await store.usageEvent(events[3]!['ledger.request.id'] as string);
    expect(unpriced).toMatchObject({ unpriced: true, inputTokens: 1500 });
    expect(unpriced!.cost).toBeUndefined();

    const byModel = await report(minute, { team: 'pricing' });
    expect(byModel.total).toMatchObject({
      requests: 4,
      cost: '0.0369908',
      unpricedRequests: 1,
      tokens: { input: 9900, cacheRead: 5120, cacheCreation: 1000, uncachedInput: 3780, output: 4040, reasoning: 2500, total: 13940 },
      // per 1,000 priced requests: 0.0369908 / 3 × 1000; per million priced tokens: 0.0369908 / (13940 − 1720) × 1e6
      costPer1kRequests: '12.330267',
      costPerMillionTokens: '3.02707',
    });
    expect(byModel.groups.map((g: { key: string; cost: string }) => [g.key, g.cost])).toEqual([
      ['o4-mini', '0.01558'],
      ['claude-sonnet-4-5', '0.0148908'],
      ['gpt-4o-2024-08-06', '0.00652'],
      ['llama-3.1-8b-instruct', '0'],
    ]);
    expect(byModel.groups[3]).toMatchObject({
      unpricedRequests: 1,
      costPer1kRequests: null,
      costPerMillionTokens: null,
      tokens: { input: 1500, output: 220 },
    });
  });

  it('applies a price set through the API to usage ingested after it, not before', async () => {
    const minute = testMinute(2);
    const before = usageEvent({
      time: minute + 1_000,
      'gen_ai.request.model': 'house-model-v1',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 1000,
    });
    expect((await post([before])).body).toEqual({ accepted: 1, duplicates: 0, unpriced: 1 });
    const put = await api('PUT', '/v1/model-prices/house-model-v1', {
      body: { input_cost_per_token: '0.000001', output_cost_per_token: '0.000002' },
    });
    expect(put.body).toMatchObject({ model: 'house-model-v1', input_cost_per_token: '0.000001', source: 'custom' });
    const after = usageEvent({
      time: minute + 2_000,
      'gen_ai.request.model': 'house-model-v1',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 1000,
    });
    expect((await post([after])).body).toEqual({ accepted: 1, duplicates: 0, unpriced: 0 });
    expect((await report(minute, { model: 'house-model-v1' })).total).toMatchObject({
      requests: 2,
      cost: '0.003',
      unpricedRequests: 1,
      costPer1kRequests: '3',
    });
  });
});

describe('POST /v1/usage exactly once', () => {
  it('answers the same batch sent twice as duplicates and changes nothing', async () => {
    const minute = testMinute(3);
    const events = Array.from({ length: 12 }, (_, i) =>
      usageEvent({ time: minute + i * 4_000, 'gen_ai.workflow.name': 'replay', duration_ms: 100 + i }),
    );
    expect((await post(events, 'replay-1')).body).toEqual({ accepted: 12, duplicates: 0, unpriced: 0 });
    expect((await post(events, 'replay-1')).body).toEqual({ accepted: 0, duplicates: 12, unpriced: 0 });
    // Same events under another batch id (a client that re-batches): still counted once.
    expect((await post(events, 'replay-2')).body).toEqual({ accepted: 0, duplicates: 12, unpriced: 0 });
    expect((await post(events.slice(3, 5))).body).toEqual({ accepted: 0, duplicates: 2, unpriced: 0 });
    const r = await report(minute, { workflow: 'replay' });
    expect(r.total).toMatchObject({ requests: 12, cost: '0.042', tokens: { input: 12_000, output: 1_200 } });
    expect(r.total.latencyMs.samples).toBe(12);
  });

  it.each([
    ['while claiming events', 7],
    ['after the claims, between rollup writes', 30 + 2],
  ])('completes a batch that failed %s when it is retried, without counting twice', async (_, failAfter) => {
    const minute = testMinute(failAfter === 7 ? 4 : 5);
    const workflow = `halfway-${failAfter}`;
    // 30 events over 5 minutes, two agents: 10 rollups.
    const events = Array.from({ length: 30 }, (_, i) =>
      usageEvent({
        time: minute + i * 10_000,
        'gen_ai.workflow.name': workflow,
        'gen_ai.agent.name': i % 2 ? 'a' : 'b',
        'ledger.retry.count': i % 3 === 0 ? 1 : 0,
        duration_ms: 200,
      }),
    );
    const body = { batchId: `half-${failAfter}`, events };
    const { batchId, events: parsed } = parseUsageBatch(body);
    const failing = new DynamoUsageStore(failingAfter(failAfter), ledger.tableName);
    await expect(ingestUsage(failing, parsed, { batchId, now: Date.now() })).rejects.toThrow(`injected failure after ${failAfter} writes`);

    const partial = (await report(minute, { workflow }, 5)).total.requests;
    expect(partial).toBeLessThan(30);

    const retried = await api('POST', '/v1/usage', { body });
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual({ accepted: 30, duplicates: 0, unpriced: 0 });
    const replay = await api('POST', '/v1/usage', { body });
    expect(replay.body).toEqual({ accepted: 0, duplicates: 30, unpriced: 0 });

    const r = await report(minute, { workflow, groupBy: 'agent' }, 5);
    expect(r.total).toMatchObject({
      requests: 30,
      cost: '0.105',
      retryRate: 0.333333,
      retriesPerRequest: 0.333333,
      tokens: { input: 30_000, output: 3_000 },
    });
    expect(r.total.latencyMs.samples).toBe(30);
    expect(r.groups.map((g: { key: string; requests: number }) => [g.key, g.requests]).sort()).toEqual([
      ['a', 15],
      ['b', 15],
    ]);
  });

  it('counts events shared by concurrent batches exactly once', async () => {
    const minute = testMinute(6);
    const workflow = 'concurrent';
    const pool = Array.from({ length: 55 }, (_, i) =>
      usageEvent({ time: minute + i * 1_000, 'gen_ai.workflow.name': workflow, 'gen_ai.usage.input_tokens': i + 1 }),
    );
    // Ten batches, each overlapping the next by five events, all in flight at once, all into one rollup.
    const batches = Array.from({ length: 10 }, (_, k) => pool.slice(k * 5, k * 5 + 10));
    const responses = await Promise.all(batches.map((events) => post(events)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(202));
    const accepted = responses.reduce((n, r) => n + r.body.accepted, 0);
    const duplicates = responses.reduce((n, r) => n + r.body.duplicates, 0);
    expect([accepted, duplicates]).toEqual([55, 45]);

    // The very same batch five times at once.
    const same = Array.from({ length: 8 }, (_, i) =>
      usageEvent({ time: minute + 56_000 + i, 'gen_ai.workflow.name': workflow, 'gen_ai.usage.input_tokens': 1 }),
    );
    const copies = await Promise.all(Array.from({ length: 5 }, () => post(same, 'same-batch')));
    expect(copies.every((r) => r.status === 202)).toBe(true);

    const r = await report(minute, { workflow });
    // input tokens 1 + 2 + ... + 55 = 1540, plus 8 × 1
    expect(r.total).toMatchObject({ requests: 63, tokens: { input: 1548, output: 6300 } });
  });
});

describe('latency percentiles', () => {
  it('reports p50/p95/p99 of a known distribution within the stated 1% relative error, across minutes', async () => {
    const minute = testMinute(7);
    // Durations 1..1000 ms in a scrambled order over 10 minutes: exact p50 = 500, p95 = 950, p99 = 990 (rank ⌊q·(n−1)⌋).
    const durations = Array.from({ length: 1000 }, (_, i) => ((i * 389) % 1000) + 1);
    const events = durations.map((d, i) => usageEvent({ time: minute + i * 600, 'gen_ai.workflow.name': 'latency', duration_ms: d }));
    expect((await post(events)).body).toEqual({ accepted: 1000, duplicates: 0, unpriced: 0 });
    const r = await report(minute, { workflow: 'latency' }, 10);
    const latency = r.total.latencyMs;
    expect(latency.samples).toBe(1000);
    expect(latency.relativeError).toBe(0.01);
    for (const [q, exact] of [
      ['p50', 500],
      ['p95', 950],
      ['p99', 990],
    ] as const) {
      expect(Math.abs(latency[q] - exact), `${q}: ${latency[q]} vs ${exact}`).toBeLessThanOrEqual(0.01 * exact + 0.0005);
    }
  });
});

describe('GET /v1/usage', () => {
  it('groups by workflow, agent, model or team and filters on each', async () => {
    const minute = testMinute(8);
    const base = { time: minute + 5_000, 'ledger.team': 'groups' };
    await post([
      usageEvent({ ...base, 'gen_ai.workflow.name': 'w1', 'gen_ai.agent.name': 'x', status: 'error' }),
      usageEvent({ ...base, 'gen_ai.workflow.name': 'w1', 'gen_ai.agent.name': 'y', 'error.type': 'timeout' }),
      usageEvent({ ...base, 'gen_ai.workflow.name': 'w2', 'gen_ai.agent.name': 'x' }),
      usageEvent({ ...base, 'gen_ai.agent.name': 'x' }),
    ]);
    const byWorkflow = await report(minute, { team: 'groups', groupBy: 'workflow' });
    expect(byWorkflow.groups.map((g: { key: string | null; requests: number }) => [g.key, g.requests])).toEqual([
      ['w1', 2],
      [null, 1],
      ['w2', 1],
    ]);
    expect(byWorkflow.groups[0]).toMatchObject({ errorRate: 1 });
    expect(byWorkflow.total).toMatchObject({ requests: 4, errorRate: 0.5 });
    const agentX = await report(minute, { team: 'groups', groupBy: 'team', agent: 'x' });
    expect(agentX.groups).toEqual([expect.objectContaining({ key: 'groups', requests: 3, cost: '0.0105' })]);
  });

  it.each([
    ['groupBy=provider', 'groupBy'],
    ['from=yesterday', 'from'],
    ['from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z', 'from: must be before to'],
  ])('refuses %s naming the parameter', async (query, named) => {
    const response = await api('GET', `/v1/usage?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(named);
  });

  it('needs the read scope', async () => {
    expect((await api('GET', '/v1/usage', { token: null })).status).toBe(401);
  });
});

describe('model prices', () => {
  it('lists the illustrative defaults and the prices set through the API', async () => {
    const response = await api('GET', '/v1/model-prices');
    expect(response.status).toBe(200);
    expect(response.body.note).toContain('illustrative');
    const byModel = new Map(response.body.models.map((m: { model: string }) => [m.model, m]));
    expect(byModel.get('o4-mini')).toMatchObject({ source: 'custom', output_cost_per_reasoning_token: '0.000005' });
    expect(byModel.get('gemini-2.5-flash')).toMatchObject({ source: 'default', updatedAt: null });
  });

  it('accepts a model name with a slash when percent-encoded', async () => {
    const response = await api('PUT', '/v1/model-prices/meta-llama%2FLlama-3.1-8B-Instruct', {
      body: { input_cost_per_token: 2e-7, output_cost_per_token: 2e-7 },
    });
    expect(response.status).toBe(200);
    expect(response.body.model).toBe('meta-llama/Llama-3.1-8B-Instruct');
  });

  it.each([
    [{ input_cost_per_token: 3, output_cost_per_token: 1e-6 }, 'input_cost_per_token: must be below 1 USD per token'],
    [{ input_cost_per_token: 1e-6 }, 'output_cost_per_token'],
    [{ input_cost_per_token: 1e-6, output_cost_per_token: -1e-6 }, 'output_cost_per_token: must not be negative'],
    [
      { input_cost_per_token: 1e-6, output_cost_per_token: 1e-6, cache_read_input_token_cost: '0.0000000000001' },
      'cache_read_input_token_cost: has more than 12 decimal places',
    ],
  ])('refuses %j with 400 naming the field', async (body, message) => {
    const response = await api('PUT', '/v1/model-prices/bad-model', { body });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(message);
  });
});
