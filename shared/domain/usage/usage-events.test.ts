import { describe, expect, it } from 'vitest';
import { LedgerError } from '../../errors.js';
import {
  checkUsageWindow,
  fastUsageEvent,
  parseUsageBatch,
  timeWindowProblem,
  toUsageEvent,
  usageEventSchema,
  usagePath,
} from './usage-events.js';

const now = Date.parse('2026-11-20T12:00:00Z');
const event = (extra: Record<string, unknown> = {}) => ({
  'ledger.request.id': 'req-1',
  time: '2026-11-20T11:59:00Z',
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.response.model': 'gpt-4o-2024-08-06',
  'gen_ai.usage.input_tokens': 2400,
  'gen_ai.usage.output_tokens': 180,
  'gen_ai.usage.cache_read.input_tokens': 1024,
  ...extra,
});

function failure(body: unknown): LedgerError {
  try {
    parseUsageBatch(body);
  } catch (error) {
    return error as LedgerError;
  }
  throw new Error('expected a failure');
}

describe('parseUsageBatch', () => {
  it('reads OpenTelemetry GenAI attributes into the ledger terms', () => {
    const { batchId, events } = parseUsageBatch({
      batchId: 'b-1',
      events: [
        event({
          'gen_ai.agent.name': 'triage',
          'gen_ai.workflow.name': 'support-ticket',
          'gen_ai.conversation.id': 'conv-9',
          'ledger.team': 'support',
          'ledger.retry.count': 2,
          duration_ms: 812.5,
          'server.address': 'api.openai.com',
        }),
        {
          'ledger.request.id': 'req-2',
          time: now,
          'gen_ai.system': 'anthropic',
          'gen_ai.request.model': 'claude-haiku-4-5',
          'error.type': 'overloaded_error',
        },
      ],
    });
    expect(batchId).toBe('b-1');
    expect(events[0]).toEqual({
      requestId: 'req-1',
      time: Date.parse('2026-11-20T11:59:00Z'),
      model: 'gpt-4o-2024-08-06',
      requestModel: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      operation: 'chat',
      provider: 'openai',
      workflow: 'support-ticket',
      agent: 'triage',
      team: 'support',
      conversationId: 'conv-9',
      errorType: undefined,
      tokens: { input: 2400, output: 180, cacheRead: 1024, cacheCreation: 0, reasoning: 0 },
      retries: 2,
      error: false,
      durationMs: 812.5,
    });
    expect(events[1]).toMatchObject({
      model: 'claude-haiku-4-5',
      provider: 'anthropic',
      error: true,
      retries: 0,
      tokens: { input: 0, output: 0 },
    });
  });

  it('names the failing attribute with its dotted name quoted', () => {
    const error = failure({ events: [event(), event(), event(), event({ 'gen_ai.usage.output_tokens': -1 })] });
    expect(error.status).toBe(400);
    expect(error.message).toBe('Invalid body: events[3]["gen_ai.usage.output_tokens"]: must not be negative');
    expect((error.details as { issues: { path: string }[] }).issues[0]!.path).toBe('events[3]["gen_ai.usage.output_tokens"]');
  });

  it('refuses cached tokens beyond input and reasoning beyond output', () => {
    expect(failure({ events: [event({ 'gen_ai.usage.cache_creation.input_tokens': 2000 })] }).message).toContain(
      'events[0]["gen_ai.usage.input_tokens"]: must be at least cache_read + cache_creation (3024)',
    );
    expect(failure({ events: [event({ 'gen_ai.usage.reasoning.output_tokens': 181 })] }).message).toContain(
      'events[0]["gen_ai.usage.output_tokens"]: must be at least reasoning.output_tokens (181)',
    );
  });

  it('answers 413 for more than 5,000 events before validating any', () => {
    const error = failure({ events: Array.from({ length: 5001 }, () => ({})) });
    expect(error.status).toBe(413);
    expect(error.message).toContain('5001 events');
  });

  it('formats paths', () => {
    expect(usagePath(['events', 3, 'gen_ai.usage.output_tokens'])).toBe('events[3]["gen_ai.usage.output_tokens"]');
    expect(usagePath(['events', 0, 'time'])).toBe('events[0].time');
    expect(usagePath(['batchId'])).toBe('batchId');
    expect(usagePath([])).toBe('(body)');
  });
});

describe('time window (same rule as measurements)', () => {
  it('accepts up to 7 days old and 5 minutes ahead', () => {
    expect(timeWindowProblem(now - 7 * 86_400_000, now)).toBeNull();
    expect(timeWindowProblem(now + 300_000, now)).toBeNull();
    expect(timeWindowProblem(now - 7 * 86_400_000 - 1, now)).toContain('older than 7 days');
    expect(timeWindowProblem(now + 300_001, now)).toContain('more than 5 minutes in the future');
  });

  it('names the event outside the window', () => {
    const { events } = parseUsageBatch({ events: [event(), event({ 'ledger.request.id': 'old', time: '2026-11-01T00:00:00Z' })] });
    expect(() => checkUsageWindow(events, now)).toThrow('events[1].time: older than 7 days');
  });
});

describe('fast validation path', () => {
  const keys = [
    'ledger.request.id',
    'time',
    'gen_ai.operation.name',
    'gen_ai.provider.name',
    'gen_ai.system',
    'gen_ai.request.model',
    'gen_ai.response.model',
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.total_tokens',
    'gen_ai.conversation.id',
    'gen_ai.agent.name',
    'gen_ai.workflow.name',
    'error.type',
    'ledger.retry.count',
    'ledger.team',
    'duration_ms',
    'status',
    'server.address',
  ];
  const tricky: unknown[] = [
    undefined,
    null,
    true,
    [],
    {},
    '',
    ' ',
    'a b',
    'ok',
    'error',
    'gpt-4o',
    'x'.repeat(65),
    'x'.repeat(129),
    'x'.repeat(257),
    'a\nb',
    '1',
    -1,
    -0,
    0,
    1,
    1.5,
    999,
    1000,
    1001,
    5000,
    1e9,
    1e9 + 1,
    2 ** 53,
    86_400_000,
    86_400_001,
    8.64e15,
    8.64e15 + 1,
    '2026-11-20T11:59:00Z',
    '2026-11-20T11:59:00.123456789+05:30',
    '2026-11-20T11:59:00',
    '2026-02-30T00:00:00Z',
    '2026-11-20 11:59:00Z',
    'yesterday',
  ];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;

  it('accepts only what the schema accepts, and reads it the same way (5,000 mutated events)', () => {
    let fastAccepted = 0;
    for (let i = 0; i < 5_000; i++) {
      const candidate: Record<string, unknown> = event({
        'gen_ai.usage.reasoning.output_tokens': 10,
        duration_ms: 12.5,
        'ledger.retry.count': 1,
      });
      const mutations = 1 + Math.floor(next() * 3);
      for (let m = 0; m < mutations; m++) {
        const value = pick(tricky);
        if (value === undefined) delete candidate[pick(keys)];
        else candidate[pick(keys)] = value;
      }
      const fast = fastUsageEvent(candidate);
      const slow = usageEventSchema.safeParse(candidate);
      if (fast) {
        fastAccepted += 1;
        expect(slow.success, JSON.stringify(candidate)).toBe(true);
        expect(fast).toEqual(toUsageEvent(slow.data!));
      }
      if (!slow.success) expect(fast, JSON.stringify(candidate)).toBeNull();
    }
    expect(fastAccepted).toBeGreaterThan(500);
  });

  it('takes the ordinary event', () => {
    expect(fastUsageEvent(event())).toEqual(toUsageEvent(usageEventSchema.parse(event())));
    expect(fastUsageEvent(event({ time: now }))).not.toBeNull();
  });
});
