import { z } from 'zod';
import { badRequest, LedgerError, payloadTooLarge, type FieldIssue } from '../../errors.js';
import { SAMPLE_MAX_AGE_MS, SAMPLE_MAX_AHEAD_MS, sampleTimeMs } from '../measurements/measurement-batch.js';
import { modelNameSchema, type TokenCounts } from './usage-pricing.js';
import { DAY_MS } from '../core/utc-time.js';

/**
 * Wire schema of `POST /v1/usage`: one event per LLM request, named with the OpenTelemetry GenAI attributes
 * (`gen_ai.*`), plus `ledger.*` attributes for what the conventions do not name (idempotency key, retries,
 * team). Unknown attributes are ignored, except unknown `gen_ai.usage.*` ones: a misspelled token count
 * would otherwise be read as zero.
 */
export const MAX_USAGE_EVENTS = 5_000;
export const MAX_TOKENS_PER_REQUEST = 1_000_000_000;

const typeError = (what: string, expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${what} is required` : `${what} must be ${expected}`;

const tokenCount = z
  .number({ message: 'must be a number of tokens' })
  .int('must be a whole number of tokens')
  .min(0, 'must not be negative')
  .max(MAX_TOKENS_PER_REQUEST, `must be at most ${MAX_TOKENS_PER_REQUEST.toLocaleString('en-US')}`);

const NO_CONTROL = /^[^\u0000-\u001f\u007f]+$/;
const label = (what: string, max = 128) =>
  z
    .string({ error: typeError(what, 'a string') })
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    .regex(NO_CONTROL, `${what} may not contain control characters`);

/** Usage attributes this ledger reads; any other `gen_ai.usage.*` key is refused. */
const usageKeys = new Set([
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.reasoning.output_tokens',
]);
const renamedUsageKeys: Record<string, string> = {
  'gen_ai.usage.prompt_tokens': 'gen_ai.usage.input_tokens',
  'gen_ai.usage.completion_tokens': 'gen_ai.usage.output_tokens',
};

const TIME_FORMAT = 'an ISO-8601 time with a zone, or whole epoch milliseconds';
const eventTime = z.union(
  [z.iso.datetime({ offset: true, message: `must be ${TIME_FORMAT}` }), z.number().int(`must be ${TIME_FORMAT}`).min(0).max(8.64e15)],
  { error: (issue) => (issue.input === undefined ? `is required: ${TIME_FORMAT}` : `must be ${TIME_FORMAT}`) },
);

export const usageEventSchema = z
  .object({
    'ledger.request.id': label('ledger.request.id (the idempotency key of the request)', 256),
    time: eventTime.describe('when the request completed: ISO-8601 with a zone, or epoch milliseconds'),
    'gen_ai.operation.name': label('gen_ai.operation.name', 64).optional().describe('chat, text_completion, embeddings, invoke_agent, ...'),
    'gen_ai.provider.name': label('gen_ai.provider.name', 64).optional(),
    'gen_ai.system': label('gen_ai.system', 64).optional().describe('deprecated name of gen_ai.provider.name, read when that is absent'),
    'gen_ai.request.model': modelNameSchema.optional(),
    'gen_ai.response.model': modelNameSchema.optional(),
    'gen_ai.usage.input_tokens': tokenCount.default(0).describe('all input tokens, cached ones included'),
    'gen_ai.usage.output_tokens': tokenCount.default(0).describe('all output tokens, reasoning ones included'),
    'gen_ai.usage.cache_read.input_tokens': tokenCount
      .default(0)
      .describe('input tokens read from the prompt cache (part of input_tokens)'),
    'gen_ai.usage.cache_creation.input_tokens': tokenCount
      .default(0)
      .describe('input tokens written to the prompt cache (part of input_tokens)'),
    'gen_ai.usage.reasoning.output_tokens': tokenCount.default(0).describe('reasoning tokens (part of output_tokens)'),
    'gen_ai.conversation.id': label('gen_ai.conversation.id', 256).optional(),
    'gen_ai.agent.name': label('gen_ai.agent.name').optional(),
    'gen_ai.workflow.name': label('gen_ai.workflow.name').optional(),
    'error.type': label('error.type', 256).optional().describe('set when the request failed; counts as an error'),
    'ledger.retry.count': z
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must not be negative')
      .max(1000, 'must be at most 1000')
      .default(0)
      .describe('retries the client made before this request completed (OpenTelemetry has no standard attribute)'),
    'ledger.team': label('ledger.team').optional(),
    duration_ms: z
      .number({ message: 'must be a number of milliseconds' })
      .min(0, 'must not be negative')
      .max(DAY_MS, 'must be at most one day (86400000 ms)')
      .optional()
      .describe('request latency in milliseconds'),
    status: z.enum(['ok', 'error'], { message: "must be 'ok' or 'error'" }).default('ok'),
  })
  .loose()
  .superRefine((event, ctx) => {
    for (const key of Object.keys(event)) {
      if (key.startsWith('gen_ai.usage.') && !usageKeys.has(key)) {
        const renamed = renamedUsageKeys[key];
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: renamed
            ? `renamed in the OpenTelemetry GenAI conventions: send ${renamed}`
            : `not a known usage attribute; known: ${[...usageKeys].join(', ')}`,
        });
      }
    }
    if (event['gen_ai.request.model'] === undefined && event['gen_ai.response.model'] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['gen_ai.request.model'],
        message: 'gen_ai.request.model or gen_ai.response.model is required',
      });
    }
    const counts = [
      event['gen_ai.usage.input_tokens'],
      event['gen_ai.usage.output_tokens'],
      event['gen_ai.usage.cache_read.input_tokens'],
      event['gen_ai.usage.cache_creation.input_tokens'],
      event['gen_ai.usage.reasoning.output_tokens'],
    ];
    // Zod runs this refinement after non-fatal issues too: compare only counts that are themselves valid.
    if (!counts.every((n) => Number.isSafeInteger(n) && n >= 0)) return;
    const input = event['gen_ai.usage.input_tokens'];
    const cached = event['gen_ai.usage.cache_read.input_tokens'] + event['gen_ai.usage.cache_creation.input_tokens'];
    if (cached > input) {
      ctx.addIssue({
        code: 'custom',
        path: ['gen_ai.usage.input_tokens'],
        message: `must be at least cache_read + cache_creation (${cached}): input_tokens includes cached tokens`,
      });
    }
    if (event['gen_ai.usage.reasoning.output_tokens'] > event['gen_ai.usage.output_tokens']) {
      ctx.addIssue({
        code: 'custom',
        path: ['gen_ai.usage.output_tokens'],
        message: `must be at least reasoning.output_tokens (${event['gen_ai.usage.reasoning.output_tokens']}): output_tokens includes reasoning tokens`,
      });
    }
  });

export type UsageEventInput = z.output<typeof usageEventSchema>;

export const usageBatchSchema = z
  .object({
    batchId: z
      .string()
      .min(1, 'batchId must not be empty')
      .max(128)
      .regex(/^[A-Za-z0-9._:@-]+$/, 'batchId may hold letters, digits and . _ : @ - only')
      .optional()
      .describe('optional; a retried batch is recognized by its content either way'),
    events: z
      .array(usageEventSchema)
      .min(1, 'a batch needs at least one event')
      .max(MAX_USAGE_EVENTS, `at most ${MAX_USAGE_EVENTS} events per batch`),
  })
  .meta({ id: 'UsageBatch' });
export type UsageBatch = z.output<typeof usageBatchSchema>;

export const usageIngestResultSchema = z
  .object({
    accepted: z.number().int().describe('events counted by this request'),
    duplicates: z
      .number()
      .int()
      .describe('events whose ledger.request.id was already counted (by an earlier or concurrent batch, or earlier in this one)'),
    unpriced: z
      .number()
      .int()
      .describe('accepted events whose model has no price: stored with their tokens, cost left out and counted as unpriced'),
  })
  .meta({ id: 'UsageIngestResult' });
export type UsageIngestResult = z.infer<typeof usageIngestResultSchema>;

/** One validated request, in the ledger's own terms. */
export interface UsageEvent {
  requestId: string;
  time: number;
  /** The model that served the request: response model, else requested model. */
  model: string;
  requestModel?: string | undefined;
  responseModel?: string | undefined;
  operation?: string | undefined;
  provider?: string | undefined;
  workflow?: string | undefined;
  agent?: string | undefined;
  team?: string | undefined;
  conversationId?: string | undefined;
  errorType?: string | undefined;
  tokens: TokenCounts;
  retries: number;
  error: boolean;
  durationMs?: number | undefined;
}

/** Defaults (0 tokens, 0 retries, status ok) are applied here too, so the fast path can pass validated raw input. */
export function toUsageEvent(input: UsageEventInput): UsageEvent {
  const requestModel = input['gen_ai.request.model'];
  const responseModel = input['gen_ai.response.model'];
  return {
    requestId: input['ledger.request.id'],
    time: sampleTimeMs(input.time),
    model: (responseModel ?? requestModel)!,
    requestModel,
    responseModel,
    operation: input['gen_ai.operation.name'],
    provider: input['gen_ai.provider.name'] ?? input['gen_ai.system'],
    workflow: input['gen_ai.workflow.name'],
    agent: input['gen_ai.agent.name'],
    team: input['ledger.team'],
    conversationId: input['gen_ai.conversation.id'],
    errorType: input['error.type'],
    tokens: {
      input: input['gen_ai.usage.input_tokens'] ?? 0,
      output: input['gen_ai.usage.output_tokens'] ?? 0,
      cacheRead: input['gen_ai.usage.cache_read.input_tokens'] ?? 0,
      cacheCreation: input['gen_ai.usage.cache_creation.input_tokens'] ?? 0,
      reasoning: input['gen_ai.usage.reasoning.output_tokens'] ?? 0,
    },
    retries: input['ledger.retry.count'] ?? 0,
    error: input.status === 'error' || input['error.type'] !== undefined,
    durationMs: input.duration_ms,
  };
}

/** `events[3]["gen_ai.usage.output_tokens"]`: attribute names hold dots, so they are quoted. */
export function usagePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(String(part))) out += out === '' ? String(part) : `.${String(part)}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out === '' ? '(body)' : out;
}

/** Like `parseWith`, with paths that quote dotted attribute names. */
export function parseUsage<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => ({
    path: usagePath(issue.path),
    message: issue.message,
    code: issue.code,
  }));
  const shown = issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  throw new LedgerError(400, 'validation_failed', `Invalid ${where}: ${shown.join('; ')}${more}`, { issues });
}

/** Checked before validation so that an oversized batch is not validated event by event. */
export function checkUsageBatchSize(body: unknown, maxEvents = MAX_USAGE_EVENTS): void {
  const events = typeof body === 'object' && body !== null ? (body as { events?: unknown }).events : undefined;
  if (Array.isArray(events) && events.length > maxEvents) {
    throw payloadTooLarge(`events: ${events.length} events in one batch; at most ${maxEvents} are accepted`);
  }
}

/** Why a time is outside the accepted window (same rule as measurements), or null. */
export function timeWindowProblem(time: number, now: number): string | null {
  if (Number.isNaN(time)) return 'not a valid time';
  if (time < now - SAMPLE_MAX_AGE_MS) return `older than 7 days (${new Date(time).toISOString()})`;
  if (time > now + SAMPLE_MAX_AHEAD_MS) return `more than 5 minutes in the future (${new Date(time).toISOString()})`;
  return null;
}

export function checkUsageWindow(events: readonly UsageEvent[], now: number): void {
  events.forEach((event, i) => {
    const problem = timeWindowProblem(event.time, now);
    if (problem) throw badRequest(`events[${i}].time: ${problem}`, { path: `events[${i}].time` });
  });
}

/** Validate a `POST /v1/usage` body (size first, then schema) into events in the ledger's terms. */
export function parseUsageBatch(body: unknown): { batchId: string | undefined; events: UsageEvent[] } {
  checkUsageBatchSize(body);
  const fast = fastUsageBatch(body);
  if (fast) return fast;
  const batch = parseUsage(usageBatchSchema, body);
  return { batchId: batch.batchId, events: batch.events.map(toUsageEvent) };
}

/**
 * The fast path of validation: a hand-written check of exactly the rules of `usageEventSchema`, accepting
 * a subset of what the schema accepts (anything unusual returns null and the schema decides, with its error
 * messages). Zod spends about 4 µs per event on this shape; this spends a fraction of it. The equivalence is
 * tested on every malformed case and on valid events (usage-events.test.ts).
 */
const isoTime = z.iso.datetime({ offset: true });
const MODEL_NAME = /^[^\s\u0000-\u001f\u007f]+$/;
const BATCH_ID = /^[A-Za-z0-9._:@-]+$/;
const isLabel = (v: unknown, max: number) => typeof v === 'string' && v.length >= 1 && v.length <= max && NO_CONTROL.test(v);
const isOptionalLabel = (v: unknown, max: number) => v === undefined || isLabel(v, max);
const isOptionalModel = (v: unknown) =>
  v === undefined || (typeof v === 'string' && v.length >= 1 && v.length <= 256 && MODEL_NAME.test(v));
const isOptionalCount = (v: unknown) =>
  v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TOKENS_PER_REQUEST);
const countOf = (v: unknown) => (v === undefined ? 0 : (v as number));

export function fastUsageEvent(raw: unknown): UsageEvent | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  for (const key in r) if (key.startsWith('gen_ai.usage.') && !usageKeys.has(key)) return null;
  const time = r.time;
  if (typeof time === 'number') {
    if (!Number.isInteger(time) || time < 0 || time > 8.64e15) return null;
  } else if (typeof time !== 'string' || !isoTime.safeParse(time).success) return null;
  if (!isLabel(r['ledger.request.id'], 256)) return null;
  if (
    !isOptionalLabel(r['gen_ai.operation.name'], 64) ||
    !isOptionalLabel(r['gen_ai.provider.name'], 64) ||
    !isOptionalLabel(r['gen_ai.system'], 64) ||
    !isOptionalLabel(r['gen_ai.conversation.id'], 256) ||
    !isOptionalLabel(r['gen_ai.agent.name'], 128) ||
    !isOptionalLabel(r['gen_ai.workflow.name'], 128) ||
    !isOptionalLabel(r['ledger.team'], 128) ||
    !isOptionalLabel(r['error.type'], 256)
  ) {
    return null;
  }
  const requestModel = r['gen_ai.request.model'];
  const responseModel = r['gen_ai.response.model'];
  if ((requestModel === undefined && responseModel === undefined) || !isOptionalModel(requestModel) || !isOptionalModel(responseModel))
    return null;
  const input = r['gen_ai.usage.input_tokens'];
  const output = r['gen_ai.usage.output_tokens'];
  const cacheRead = r['gen_ai.usage.cache_read.input_tokens'];
  const cacheCreation = r['gen_ai.usage.cache_creation.input_tokens'];
  const reasoning = r['gen_ai.usage.reasoning.output_tokens'];
  if (
    !isOptionalCount(input) ||
    !isOptionalCount(output) ||
    !isOptionalCount(cacheRead) ||
    !isOptionalCount(cacheCreation) ||
    !isOptionalCount(reasoning)
  )
    return null;
  if (countOf(cacheRead) + countOf(cacheCreation) > countOf(input) || countOf(reasoning) > countOf(output)) return null;
  const retries = r['ledger.retry.count'];
  if (retries !== undefined && !(typeof retries === 'number' && Number.isInteger(retries) && retries >= 0 && retries <= 1000)) return null;
  const duration = r.duration_ms;
  if (duration !== undefined && !(typeof duration === 'number' && Number.isFinite(duration) && duration >= 0 && duration <= DAY_MS))
    return null;
  const status = r.status;
  if (status !== undefined && status !== 'ok' && status !== 'error') return null;
  return toUsageEvent(r as UsageEventInput);
}

function fastUsageBatch(body: unknown): { batchId: string | undefined; events: UsageEvent[] } | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { batchId, events } = body as { batchId?: unknown; events?: unknown };
  if (batchId !== undefined && !(typeof batchId === 'string' && batchId.length >= 1 && batchId.length <= 128 && BATCH_ID.test(batchId)))
    return null;
  if (!Array.isArray(events) || events.length < 1 || events.length > MAX_USAGE_EVENTS) return null;
  const out: UsageEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const event = fastUsageEvent(events[i]);
    if (!event) return null;
    out[i] = event;
  }
  return { batchId: batchId as string | undefined, events: out };
}
