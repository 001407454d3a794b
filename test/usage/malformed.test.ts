import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRuntime } from '../../local/runtime.js';
import { apiClient, startTestLedger } from '../support/ledger.js';
import { usageEvent, type WireEvent } from './helpers.js';

let ledger: LedgerRuntime;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  ledger = await startTestLedger();
  api = apiClient(ledger);
});
afterAll(async () => ledger?.stop());

const DAY = 86_400_000;
const without = (key: string) => {
  const event = usageEvent();
  delete event[key];
  return event;
};

/** [what, the second event of the batch, the message the 400 must carry (it names the field)]. */
const malformedEvents: Array<[string, WireEvent | string, string]> = [
  [
    'no idempotency key',
    without('ledger.request.id'),
    'events[1]["ledger.request.id"]: ledger.request.id (the idempotency key of the request) is required',
  ],
  [
    'an empty idempotency key',
    usageEvent({ 'ledger.request.id': '' }),
    'events[1]["ledger.request.id"]: ledger.request.id (the idempotency key of the request) must not be empty',
  ],
  [
    'a numeric idempotency key',
    usageEvent({ 'ledger.request.id': 42 }),
    'events[1]["ledger.request.id"]: ledger.request.id (the idempotency key of the request) must be a string',
  ],
  [
    'an idempotency key of 300 characters',
    usageEvent({ 'ledger.request.id': 'r'.repeat(300) }),
    'events[1]["ledger.request.id"]: ledger.request.id (the idempotency key of the request) must be at most 256 characters',
  ],
  ['no time', without('time'), 'events[1].time: is required: an ISO-8601 time with a zone, or whole epoch milliseconds'],
  [
    'a time in words',
    usageEvent({ time: 'yesterday' }),
    'events[1].time: must be an ISO-8601 time with a zone, or whole epoch milliseconds',
  ],
  ['a time without a zone', usageEvent({ time: '2026-11-20T10:00:00' }), 'events[1].time: must be an ISO-8601 time with a zone'],
  [
    'fractional epoch milliseconds',
    usageEvent({ time: Date.now() - 0.5 }),
    'events[1].time: must be an ISO-8601 time with a zone, or whole epoch milliseconds',
  ],
  ['a time 8 days old', usageEvent({ time: Date.now() - 8 * DAY }), 'events[1].time: older than 7 days'],
  ['a time 10 minutes ahead', usageEvent({ time: Date.now() + 600_000 }), 'events[1].time: more than 5 minutes in the future'],
  [
    'no model',
    without('gen_ai.request.model'),
    'events[1]["gen_ai.request.model"]: gen_ai.request.model or gen_ai.response.model is required',
  ],
  [
    'a model name with a space',
    usageEvent({ 'gen_ai.request.model': 'gpt 4o' }),
    'events[1]["gen_ai.request.model"]: model may not contain spaces or control characters',
  ],
  [
    'negative input tokens',
    usageEvent({ 'gen_ai.usage.input_tokens': -1 }),
    'events[1]["gen_ai.usage.input_tokens"]: must not be negative',
  ],
  [
    'fractional output tokens',
    usageEvent({ 'gen_ai.usage.output_tokens': 1.5 }),
    'events[1]["gen_ai.usage.output_tokens"]: must be a whole number of tokens',
  ],
  [
    'output tokens as a string',
    usageEvent({ 'gen_ai.usage.output_tokens': '100' }),
    'events[1]["gen_ai.usage.output_tokens"]: must be a number of tokens',
  ],
  [
    'negative cache reads',
    usageEvent({ 'gen_ai.usage.cache_read.input_tokens': -3 }),
    'events[1]["gen_ai.usage.cache_read.input_tokens"]: must not be negative',
  ],
  [
    'cache reads beyond input',
    usageEvent({ 'gen_ai.usage.cache_read.input_tokens': 2000 }),
    'events[1]["gen_ai.usage.input_tokens"]: must be at least cache_read + cache_creation (2000)',
  ],
  [
    'cache reads and writes beyond input',
    usageEvent({ 'gen_ai.usage.cache_read.input_tokens': 600, 'gen_ai.usage.cache_creation.input_tokens': 600 }),
    'events[1]["gen_ai.usage.input_tokens"]: must be at least cache_read + cache_creation (1200): input_tokens includes cached tokens',
  ],
  [
    'reasoning beyond output',
    usageEvent({ 'gen_ai.usage.reasoning.output_tokens': 200 }),
    'events[1]["gen_ai.usage.output_tokens"]: must be at least reasoning.output_tokens (200): output_tokens includes reasoning tokens',
  ],
  [
    'two billion input tokens',
    usageEvent({ 'gen_ai.usage.input_tokens': 2e9 }),
    'events[1]["gen_ai.usage.input_tokens"]: must be at most 1,000,000,000',
  ],
  [
    'the old prompt_tokens name',
    usageEvent({ 'gen_ai.usage.prompt_tokens': 10 }),
    'events[1]["gen_ai.usage.prompt_tokens"]: renamed in the OpenTelemetry GenAI conventions: send gen_ai.usage.input_tokens',
  ],
  [
    'an unknown usage attribute',
    usageEvent({ 'gen_ai.usage.total_tokens': 1100 }),
    'events[1]["gen_ai.usage.total_tokens"]: not a known usage attribute',
  ],
  ['a negative retry count', usageEvent({ 'ledger.retry.count': -1 }), 'events[1]["ledger.retry.count"]: must not be negative'],
  ['a retry count in words', usageEvent({ 'ledger.retry.count': 'twice' }), 'events[1]["ledger.retry.count"]: must be a number'],
  ['a negative duration', usageEvent({ duration_ms: -5 }), 'events[1].duration_ms: must not be negative'],
  ['a duration of two days', usageEvent({ duration_ms: 2 * DAY }), 'events[1].duration_ms: must be at most one day (86400000 ms)'],
  ['an unknown status', usageEvent({ status: 'failed' }), "events[1].status: must be 'ok' or 'error'"],
  ['an empty agent name', usageEvent({ 'gen_ai.agent.name': '' }), 'events[1]["gen_ai.agent.name"]: gen_ai.agent.name must not be empty'],
  [
    'a team with a newline',
    usageEvent({ 'ledger.team': 'a\nb' }),
    'events[1]["ledger.team"]: ledger.team may not contain control characters',
  ],
  [
    'a workflow name of 129 characters',
    usageEvent({ 'gen_ai.workflow.name': 'w'.repeat(129) }),
    'events[1]["gen_ai.workflow.name"]: gen_ai.workflow.name must be at most 128 characters',
  ],
  ['an error type that is not a string', usageEvent({ 'error.type': 500 }), 'events[1]["error.type"]: error.type must be a string'],
  ['an event that is a string', 'chat gpt-4o 1000 100', 'events[1]: Invalid input: expected object, received string'],
];

describe('POST /v1/usage refuses malformed events with 400 naming the field', () => {
  it('has at least 25 cases', () => expect(malformedEvents.length).toBeGreaterThanOrEqual(25));

  it.each(malformedEvents)('%s', async (_, bad, message) => {
    const response = await api('POST', '/v1/usage', { body: { events: [usageEvent(), bad] } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(message);
    expect(response.body.error.code).toMatch(/^(validation_failed|bad_request)$/);
  });

  it('lists every problem in the details, with paths', async () => {
    const response = await api('POST', '/v1/usage', {
      body: { events: [usageEvent({ 'gen_ai.usage.input_tokens': -1 }), usageEvent(), usageEvent({ status: 'nope', duration_ms: -1 })] },
    });
    expect(response.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual([
      'events[0]["gen_ai.usage.input_tokens"]',
      'events[2].duration_ms',
      'events[2].status',
    ]);
  });

  it('stores nothing from a batch with one malformed event', async () => {
    const good = usageEvent({ 'gen_ai.workflow.name': 'all-or-nothing' });
    expect((await api('POST', '/v1/usage', { body: { events: [good, usageEvent({ 'gen_ai.usage.input_tokens': -1 })] } })).status).toBe(
      400,
    );
    expect((await api('POST', '/v1/usage', { body: { events: [good] } })).body).toEqual({ accepted: 1, duplicates: 0, unpriced: 0 });
  });
});

describe('POST /v1/usage refuses malformed batches', () => {
  it.each([
    ['no events', { batchId: 'b' }, 400, 'events:'],
    ['an empty batch', { events: [] }, 400, 'events: a batch needs at least one event'],
    ['events that are not a list', { events: { 'ledger.request.id': 'x' } }, 400, 'events:'],
    [
      'a batch id with a space',
      { batchId: 'a b', events: [usageEvent()] },
      400,
      'batchId: batchId may hold letters, digits and . _ : @ - only',
    ],
    [
      '5,001 events',
      { events: Array.from({ length: 5001 }, () => ({})) },
      413,
      'events: 5001 events in one batch; at most 5000 are accepted',
    ],
  ])('%s', async (_, body, status, message) => {
    const response = await api('POST', '/v1/usage', { body });
    expect(response.status).toBe(status);
    expect(response.body.error.message).toContain(message);
  });

  it('refuses a body that is not JSON, and one that is not declared as JSON', async () => {
    const broken = await api('POST', '/v1/usage', { body: '{"events": [', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toContain('body: not valid JSON');
    const text = await api('POST', '/v1/usage', { body: 'events', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body.error.message).toContain('content-type: expected application/json, got text/plain');
  });

  it('needs the ingest scope', async () => {
    expect((await api('POST', '/v1/usage', { body: { events: [usageEvent()] }, token: null })).status).toBe(401);
  });
});
