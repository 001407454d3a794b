import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nanosToMs, otlpExportResponse, otlpTracesSchema, otlpValue, usageEventsFromOtlp } from './usage-otlp.js';

const fixture = JSON.parse(readFileSync(new URL('../../../test/usage/fixtures/otlp-genai-traces.json', import.meta.url), 'utf8'));
const base = Date.parse('2026-11-20T10:00:00Z');
const now = base + 3_600_000;

describe('usageEventsFromOtlp (OTLP/HTTP JSON export of GenAI instrumentations)', () => {
  const conversion = usageEventsFromOtlp(otlpTracesSchema.parse(fixture), now);
  const byId = new Map(conversion.events.map((e) => [e.requestId, e]));

  it('takes model-call spans, ignores agent, tool and non-GenAI spans, and rejects the malformed one', () => {
    expect(conversion.events).toHaveLength(6);
    expect(conversion.ignored).toBe(3);
    expect(conversion.rejected).toBe(1);
    expect(conversion.problems).toEqual([
      'resourceSpans[1].scopeSpans[0].spans[2] (span 9d0e1f2031425364 "chat gpt-4o-mini"): ["gen_ai.usage.output_tokens"]: must not be negative',
    ]);
  });

  it('uses <traceId>:<spanId> as request id unless ledger.request.id is set, the span end as time, and end − start as latency', () => {
    const a = byId.get('5b8efff798038103d269b633813fc60c:0a1b2c3d4e5f6071')!;
    expect(a).toMatchObject({
      time: base + 1300,
      durationMs: 1200,
      model: 'gpt-4o-2024-08-06',
      requestModel: 'gpt-4o',
      provider: 'openai',
      operation: 'chat',
      conversationId: 'conv-7f3a',
      tokens: { input: 2400, output: 180, cacheRead: 1024, cacheCreation: 0, reasoning: 0 },
      error: false,
    });
    expect(byId.get('req-research-0001')).toMatchObject({
      model: 'o4-mini-2025-04-16',
      durationMs: 5300,
      tokens: { output: 3000, reasoning: 2500 },
      team: 'research',
    });
  });

  it('inherits agent and workflow names from the agent span and the team from the resource', () => {
    const b = byId.get('5b8efff798038103d269b633813fc60c:2a3b4c5d6e7f8091')!;
    expect(b).toMatchObject({ agent: 'triage', workflow: 'support-ticket', team: 'support', retries: 1 });
    expect(byId.get('req-research-0001')).toMatchObject({ agent: undefined, workflow: undefined });
  });

  it('reads error status and error.type as an error', () => {
    expect(byId.get('5b8efff798038103d269b633813fc60c:3a4b5c6d7e8f90a1')).toMatchObject({
      error: true,
      errorType: 'RateLimitError',
      tokens: { input: 0, output: 0 },
    });
  });

  it('reads the older usage names some instrumentations still emit', () => {
    expect(byId.get('5b8efff798038103d269b633813fc60c:4a5b6c7d8e9fa0b1')).toMatchObject({
      provider: 'Anthropic',
      model: 'claude-sonnet-4-5-20250929',
      tokens: { input: 5200, output: 640, cacheRead: 4096, cacheCreation: 1000, reasoning: 0 },
    });
  });

  it('rejects spans outside the time window one by one', () => {
    const late = usageEventsFromOtlp(otlpTracesSchema.parse(fixture), base + 8 * 86_400_000);
    expect(late.events).toHaveLength(0);
    expect(late.rejected).toBe(7);
    expect(late.problems[0]).toContain('endTimeUnixNano: older than 7 days');
  });

  it('answers {} when all spans were taken and partialSuccess otherwise', () => {
    expect(otlpExportResponse({ rejected: 0, problems: [] })).toEqual({});
    expect(otlpExportResponse(conversion)).toEqual({
      partialSuccess: {
        rejectedSpans: 1,
        errorMessage: expect.stringContaining('1 span(s) rejected: resourceSpans[1].scopeSpans[0].spans[2]'),
      },
    });
  });
});

describe('OTLP values', () => {
  it('reads AnyValue kinds and int64 as string or number', () => {
    expect(otlpValue({ stringValue: 'x' })).toBe('x');
    expect(otlpValue({ intValue: '2400' })).toBe(2400);
    expect(otlpValue({ intValue: 2400 })).toBe(2400);
    expect(otlpValue({ intValue: '99999999999999999999' })).toBe('99999999999999999999');
    expect(otlpValue({ doubleValue: 0.5 })).toBe(0.5);
    expect(otlpValue({ boolValue: false })).toBe(false);
    expect(otlpValue({ arrayValue: { values: [] } } as never)).toBeUndefined();
  });

  it('converts Unix nanoseconds without losing the millisecond fraction', () => {
    expect(nanosToMs('1795168801300000000')).toBe(1795168801300);
    expect(nanosToMs('1795168801300500000')).toBe(1795168801300.5);
    expect(nanosToMs('not-a-number')).toBeNaN();
    expect(nanosToMs(undefined)).toBeNaN();
  });
});
