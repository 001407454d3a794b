import { z } from 'zod';
import { payloadTooLarge } from '../../errors.js';
import {
  fastUsageEvent,
  MAX_USAGE_EVENTS,
  parseUsage,
  timeWindowProblem,
  toUsageEvent,
  usageEventSchema,
  usagePath,
  type UsageEvent,
} from './usage-events.js';
import { ingestUsage, type UsageStore } from './usage-ingest.js';

/**
 * OTLP/HTTP JSON traces (`ExportTraceServiceRequest`) to usage events. A span is a usage event when it
 * carries `gen_ai.*` attributes of its own and is a model call; spans without `gen_ai.*` attributes, and
 * agent and tool spans (`invoke_agent`, `create_agent`, `execute_tool`, whose model calls beneath them carry
 * the usage; counting both would count it twice) are ignored. A usage span that fails validation is
 * rejected on its own; the rest of the export is kept (OTLP partial success).
 *
 * Span attributes override resource attributes; `gen_ai.*` and `ledger.*` resource attributes (a team set
 * in OTEL_RESOURCE_ATTRIBUTES) apply to every span of the resource. A model-call span without
 * `gen_ai.agent.name` / `gen_ai.workflow.name` takes them from its nearest ancestor span in the same export.
 * Request id: the `ledger.request.id` attribute, else `<traceId>:<spanId>`. Time: the span's end.
 * Older usage names (`gen_ai.usage.prompt_tokens`, `completion_tokens`, ...) are read as the current ones.
 */
const anyValueSchema = z
  .object({
    stringValue: z.string().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.union([z.number(), z.string()]).optional(),
    boolValue: z.boolean().optional(),
  })
  .loose();
const keyValueSchema = z.object({ key: z.string(), value: anyValueSchema.optional() }).loose();
const attributesSchema = z.array(keyValueSchema).optional();

export const otlpTracesSchema = z
  .object({
    resourceSpans: z
      .array(
        z
          .object({
            resource: z.object({ attributes: attributesSchema }).loose().optional(),
            scopeSpans: z
              .array(
                z
                  .object({
                    scope: z.object({ name: z.string().optional(), version: z.string().optional() }).loose().optional(),
                    spans: z.array(z.record(z.string(), z.unknown())).optional(),
                  })
                  .loose(),
              )
              .optional(),
          })
          .loose(),
      )
      .optional(),
  })
  .loose()
  .meta({ id: 'OtlpExportTraceServiceRequest', description: 'OTLP/HTTP JSON ExportTraceServiceRequest (protobuf is not accepted)' });
export type OtlpTraces = z.output<typeof otlpTracesSchema>;

export const otlpExportResponseSchema = z
  .object({
    partialSuccess: z
      .object({ rejectedSpans: z.number().int(), errorMessage: z.string() })
      .optional()
      .describe('present when some spans were rejected'),
  })
  .meta({ id: 'OtlpExportTraceServiceResponse' });

const IGNORED_OPERATIONS = new Set(['invoke_agent', 'create_agent', 'execute_tool']);
/**
 * Names some instrumentations still emit (older semantic conventions, OpenLLMetry): read as the current
 * names when those are absent. `gen_ai.usage.total_tokens` is derived, so it is dropped.
 */
const USAGE_ALIASES: Record<string, string> = {
  'gen_ai.usage.prompt_tokens': 'gen_ai.usage.input_tokens',
  'gen_ai.usage.completion_tokens': 'gen_ai.usage.output_tokens',
  'gen_ai.usage.cache_read_input_tokens': 'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation_input_tokens': 'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.reasoning_tokens': 'gen_ai.usage.reasoning.output_tokens',
};
const DERIVED_USAGE = ['gen_ai.usage.total_tokens'];

function applyAliases(attributes: Attributes): void {
  for (const [alias, name] of Object.entries(USAGE_ALIASES)) {
    if (!(alias in attributes)) continue;
    if (attributes[name] === undefined) attributes[name] = attributes[alias];
    delete attributes[alias];
  }
  for (const name of DERIVED_USAGE) delete attributes[name];
}
const INHERITED = ['gen_ai.agent.name', 'gen_ai.workflow.name'] as const;

type Attributes = Record<string, unknown>;

export interface OtlpConversion {
  events: UsageEvent[];
  rejected: number;
  ignored: number;
  /** One line per rejected span, naming it and the attribute. */
  problems: string[];
}

/** An OTLP AnyValue as a plain value; arrays, maps and bytes are not read (undefined). */
export function otlpValue(value: z.output<typeof anyValueSchema> | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) {
    const n = typeof value.intValue === 'number' ? value.intValue : Number(value.intValue);
    return Number.isSafeInteger(n) ? n : value.intValue;
  }
  if (value.doubleValue !== undefined) return typeof value.doubleValue === 'number' ? value.doubleValue : Number(value.doubleValue);
  if (value.boolValue !== undefined) return value.boolValue;
  return undefined;
}

function attributesOf(list: unknown): Attributes {
  const out: Attributes = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list) {
    const parsed = keyValueSchema.safeParse(kv);
    if (!parsed.success) continue;
    const value = otlpValue(parsed.data.value);
    if (value !== undefined) out[parsed.data.key] = value;
  }
  return out;
}

/** Unix nanoseconds (string or number) to epoch milliseconds, or NaN. */
export function nanosToMs(nanos: unknown): number {
  if (typeof nanos === 'number') return Number.isFinite(nanos) ? nanos / 1e6 : Number.NaN;
  if (typeof nanos !== 'string' || !/^\d{1,20}$/.test(nanos)) return Number.NaN;
  const big = BigInt(nanos);
  return Number(big / 1_000_000n) + Number(big % 1_000_000n) / 1e6;
}

const hasGenAi = (attributes: Attributes) => Object.keys(attributes).some((key) => key.startsWith('gen_ai.'));
const isError = (status: unknown) => {
  const code = (status as { code?: unknown } | undefined)?.code;
  return code === 2 || code === 'STATUS_CODE_ERROR' || code === '2';
};

interface SpanEntry {
  where: string;
  span: Record<string, unknown>;
  own: Attributes;
  resource: Attributes;
}

export function countOtlpSpans(body: unknown): number {
  let n = 0;
  const resourceSpans = (body as { resourceSpans?: unknown } | null)?.resourceSpans;
  if (!Array.isArray(resourceSpans)) return 0;
  for (const rs of resourceSpans) {
    const scopeSpans = (rs as { scopeSpans?: unknown } | null)?.scopeSpans;
    if (!Array.isArray(scopeSpans)) continue;
    for (const ss of scopeSpans) {
      const spans = (ss as { spans?: unknown } | null)?.spans;
      if (Array.isArray(spans)) n += spans.length;
    }
  }
  return n;
}

export function checkOtlpSize(body: unknown, maxSpans = MAX_USAGE_EVENTS): void {
  const spans = countOtlpSpans(body);
  if (spans > maxSpans) throw payloadTooLarge(`resourceSpans: ${spans} spans in one export; at most ${maxSpans} are accepted`);
}

export function usageEventsFromOtlp(request: OtlpTraces, now: number): OtlpConversion {
  const entries: SpanEntry[] = [];
  const byId = new Map<string, Attributes>();
  const parentOf = new Map<string, string>();
  (request.resourceSpans ?? []).forEach((rs, r) => {
    const resource = attributesOf(rs.resource?.attributes);
    for (const key of Object.keys(resource)) if (!key.startsWith('gen_ai.') && !key.startsWith('ledger.')) delete resource[key];
    (rs.scopeSpans ?? []).forEach((ss, s) => {
      (ss.spans ?? []).forEach((span, i) => {
        const own = attributesOf(span.attributes);
        const id = `${String(span.traceId ?? '')}:${String(span.spanId ?? '')}`;
        byId.set(id, own);
        if (typeof span.parentSpanId === 'string' && span.parentSpanId !== '')
          parentOf.set(id, `${String(span.traceId ?? '')}:${span.parentSpanId}`);
        entries.push({ where: `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`, span, own, resource });
      });
    });
  });

  const result: OtlpConversion = { events: [], rejected: 0, ignored: 0, problems: [] };
  for (const { where, span, own, resource } of entries) {
    if (!hasGenAi(own) || IGNORED_OPERATIONS.has(String(own['gen_ai.operation.name']))) {
      result.ignored += 1;
      continue;
    }
    const traceId = typeof span.traceId === 'string' ? span.traceId : '';
    const spanId = typeof span.spanId === 'string' ? span.spanId : '';
    const attributes: Attributes = { ...resource, ...own };
    applyAliases(attributes);
    // Agent and workflow names from the nearest ancestor in this export that has them.
    for (let id = parentOf.get(`${traceId}:${spanId}`), hops = 0; id && hops < 64; id = parentOf.get(id), hops++) {
      const ancestor = byId.get(id);
      if (!ancestor) break;
      for (const key of INHERITED) if (attributes[key] === undefined && ancestor[key] !== undefined) attributes[key] = ancestor[key];
    }
    const start = nanosToMs(span.startTimeUnixNano);
    const end = nanosToMs(span.endTimeUnixNano);
    const time = Number.isFinite(end) && end > 0 ? end : start;
    const candidate: Attributes = {
      ...attributes,
      'ledger.request.id': attributes['ledger.request.id'] ?? (traceId && spanId ? `${traceId}:${spanId}` : undefined),
      time: Number.isFinite(time) ? Math.round(time) : undefined,
      status: isError(span.status) ? 'error' : 'ok',
      ...(Number.isFinite(start) && Number.isFinite(end) && end >= start ? { duration_ms: end - start } : {}),
    };
    const fast = fastUsageEvent(candidate);
    const parsed = fast ? null : usageEventSchema.safeParse(candidate);
    const name = `${where} (span ${spanId || '?'}${typeof span.name === 'string' ? ` "${span.name.slice(0, 60)}"` : ''})`;
    if (parsed && !parsed.success) {
      result.rejected += 1;
      const issue = parsed.error.issues[0]!;
      const field =
        issue.path[0] === 'time' ? 'endTimeUnixNano' : issue.path[0] === 'ledger.request.id' ? 'traceId/spanId' : usagePath(issue.path);
      result.problems.push(`${name}: ${field}: ${issue.message}`);
      continue;
    }
    const event = fast ?? toUsageEvent(parsed!.data!);
    const late = timeWindowProblem(event.time, now);
    if (late) {
      result.rejected += 1;
      result.problems.push(`${name}: endTimeUnixNano: ${late}`);
      continue;
    }
    result.events.push(event);
  }
  return result;
}

/** `{}` when every usage span was taken; `partialSuccess` naming the first problems otherwise. */
export function otlpExportResponse(conversion: Pick<OtlpConversion, 'rejected' | 'problems'>): z.infer<typeof otlpExportResponseSchema> {
  if (conversion.rejected === 0) return {};
  const shown = conversion.problems.slice(0, 5).join('; ');
  const more = conversion.problems.length > 5 ? ` (and ${conversion.problems.length - 5} more)` : '';
  return {
    partialSuccess: { rejectedSpans: conversion.rejected, errorMessage: `${conversion.rejected} span(s) rejected: ${shown}${more}` },
  };
}

export interface OtlpIngestResult {
  response: z.infer<typeof otlpExportResponseSchema>;
  accepted: number;
  duplicates: number;
  unpriced: number;
  rejected: number;
  ignored: number;
}

/** Validate an OTLP/HTTP JSON export and ingest its usage spans; rejected spans are reported, not fatal. */
export async function ingestOtlpTraces(store: UsageStore, body: unknown, now: number): Promise<OtlpIngestResult> {
  checkOtlpSize(body);
  const request = parseUsage(otlpTracesSchema, body);
  const conversion = usageEventsFromOtlp(request, now);
  const ingested = await ingestUsage(store, conversion.events, { now });
  return { response: otlpExportResponse(conversion), ...ingested, rejected: conversion.rejected, ignored: conversion.ignored };
}
