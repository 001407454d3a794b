import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRuntime } from '../../local/runtime.js';
import { apiClient, startTestLedger } from '../support/ledger.js';
import { testMinute, testPrices, window } from './helpers.js';

/**
 * The fixture is one OTLP/HTTP JSON export as an OpenTelemetry SDK sends it: a support bot (Python SDK,
 * openai-v2 and Anthropic instrumentations, an agent span, a tool span and an httpx span) and a research
 * bot (Node SDK, int64 values as numbers) with a reasoning model, a self-hosted model without a price and
 * one span whose output token count is negative. Its times start at 2026-11-20T10:00:00Z and are moved
 * into the ingest window here.
 */
const FIXTURE_BASE_MS = Date.parse('2026-11-20T10:00:00Z');
const fixtureText = readFileSync(new URL('./fixtures/otlp-genai-traces.json', import.meta.url), 'utf8');

function exportAt(baseMs: number): unknown {
  const shift = BigInt(baseMs - FIXTURE_BASE_MS) * 1_000_000n;
  return JSON.parse(fixtureText, (key, value) =>
    (key === 'startTimeUnixNano' || key === 'endTimeUnixNano') && typeof value === 'string' ? String(BigInt(value) + shift) : value,
  );
}

let ledger: LedgerRuntime;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  ledger = await startTestLedger();
  api = apiClient(ledger);
  for (const [model, body] of Object.entries(testPrices))
    expect((await api('PUT', `/v1/model-prices/${model}`, { body })).status).toBe(200);
});
afterAll(async () => ledger?.stop());

const counts = (header: string | null) =>
  Object.fromEntries(
    (header ?? '')
      .split('; ')
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );

describe('POST /v1/otlp/v1/traces', () => {
  const minute = testMinute(1);
  const body = exportAt(minute);

  it('takes the GenAI model-call spans, ignores the others and reports the rejected one the OTLP way', async () => {
    const response = await api('POST', '/v1/otlp/v1/traces', { body, gzip: true });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      partialSuccess: {
        rejectedSpans: 1,
        errorMessage:
          '1 span(s) rejected: resourceSpans[1].scopeSpans[0].spans[2] (span 9d0e1f2031425364 "chat gpt-4o-mini"): ["gen_ai.usage.output_tokens"]: must not be negative',
      },
    });
    expect(counts(response.headers.get('x-ledger-usage'))).toEqual({ accepted: 6, duplicates: 0, unpriced: 1, rejected: 1, ignored: 3 });
  });

  it('prices the spans by hand-checked amounts and attributes them to team, agent and workflow', async () => {
    const byTeam = (await api('GET', window(minute, minute + 60_000, { groupBy: 'team' }))).body;
    // support: 0.00652 (2,400 in, 1,024 cached, 180 out) + 0.00482 (2,700 in, 2,304 cached, 95 out) + 0 (the 429)
    //        + 0.0148908 (5,200 in: 4,096 cache read, 1,000 cache write; 640 out)
    // research: 0.01558 (o4-mini, 2,500 of 3,000 output tokens reasoning) + the unpriced Llama
    expect(byTeam.groups.map((g: { key: string; cost: string; requests: number }) => [g.key, g.cost, g.requests])).toEqual([
      ['support', '0.0262308', 4],
      ['research', '0.01558', 2],
    ]);
    expect(byTeam.total).toMatchObject({
      requests: 6,
      cost: '0.0418108',
      unpricedRequests: 1,
      errorRate: 0.166667,
      retryRate: 0.166667,
      tokens: {
        input: 12_600,
        cacheRead: 7_424,
        cacheCreation: 1_000,
        uncachedInput: 4_176,
        output: 4_135,
        reasoning: 2_500,
        total: 16_735,
      },
    });
    // Latencies 150, 400, 800, 1200, 2400, 5300 ms: p50 is rank 2 (800), p95 and p99 rank 4 (2400), each within 1%.
    expect(Math.abs(byTeam.total.latencyMs.p50 - 800)).toBeLessThanOrEqual(8);
    expect(Math.abs(byTeam.total.latencyMs.p95 - 2400)).toBeLessThanOrEqual(24);
    expect(Math.abs(byTeam.total.latencyMs.p99 - 2400)).toBeLessThanOrEqual(24);

    const byAgent = (await api('GET', window(minute, minute + 60_000, { groupBy: 'agent' }))).body;
    expect(byAgent.groups.map((g: { key: string | null; requests: number }) => [g.key, g.requests])).toEqual([
      ['triage', 4],
      [null, 2],
    ]);
    const byWorkflow = (await api('GET', window(minute, minute + 60_000, { groupBy: 'workflow', team: 'support' }))).body;
    expect(byWorkflow.groups).toEqual([expect.objectContaining({ key: 'support-ticket', requests: 4, errorRate: 0.25, retryRate: 0.25 })]);

    const byModel = (await api('GET', window(minute, minute + 60_000))).body;
    expect(byModel.groups.map((g: { key: string; cost: string }) => [g.key, g.cost])).toEqual([
      ['o4-mini-2025-04-16', '0.01558'],
      ['claude-sonnet-4-5-20250929', '0.0148908'],
      ['gpt-4o-2024-08-06', '0.01134'],
      ['gpt-4o', '0'],
      ['meta-llama/Llama-3.1-8B-Instruct', '0'],
    ]);
    expect(byModel.groups[4]).toMatchObject({ unpricedRequests: 1, costPer1kRequests: null });
  });

  it('counts a re-sent export once', async () => {
    const again = await api('POST', '/v1/otlp/v1/traces', { body });
    expect(again.status).toBe(200);
    expect(again.body.partialSuccess.rejectedSpans).toBe(1);
    expect(counts(again.headers.get('x-ledger-usage'))).toMatchObject({ accepted: 0, duplicates: 6 });
    const total = (await api('GET', window(minute, minute + 60_000))).body.total;
    expect(total).toMatchObject({ requests: 6, cost: '0.0418108' });
  });

  it('answers {} to an export whose spans were all taken, or that holds no GenAI span', async () => {
    const clean = exportAt(testMinute(2)) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
    clean.resourceSpans[1]!.scopeSpans[0]!.spans.pop(); // the malformed span
    const response = await api('POST', '/v1/otlp/v1/traces', { body: clean });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
    expect((await api('POST', '/v1/otlp/v1/traces', { body: { resourceSpans: [] } })).body).toEqual({});
    expect((await api('POST', '/v1/otlp/v1/traces', { body: {} })).body).toEqual({});
  });

  it('refuses OTLP protobuf with 415 and says to send JSON', async () => {
    const response = await api('POST', '/v1/otlp/v1/traces', {
      body: Buffer.from([0x0a, 0x02, 0x0a, 0x00]),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    expect(response.status).toBe(415);
    expect(response.body.error.message).toBe(
      'content-type: expected application/json, got application/x-protobuf; OTLP exporters send JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json',
    );
  });

  it('refuses a body that is not an OTLP export with 400 naming the field', async () => {
    const response = await api('POST', '/v1/otlp/v1/traces', { body: { resourceSpans: [{ scopeSpans: 'spans' }] } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('resourceSpans[0].scopeSpans');
  });

  it('needs the ingest scope', async () => {
    expect((await api('POST', '/v1/otlp/v1/traces', { body, token: null })).status).toBe(401);
  });
});
