import { z } from 'zod';
import { unitEconomicsRowSchema, unitEconomicsScopeKinds } from './unit-economics-row.js';
import { DAY_MS } from '../core/utc-time.js';

export const MAX_ECONOMICS_WINDOW_DAYS = 93;
/** Hour rows are 24 times as many: at most this many days of them per request. */
export const MAX_HOURLY_WINDOW_DAYS = 2;
export const MAX_ECONOMICS_ROWS = 5000;

/** Where the next page starts: the sort key (start, scope kind, scope) of the last row sent. */
const cursorSchema = z
  .string()
  .max(2048)
  .transform((text, ctx) => {
    try {
      const key = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
      if (Array.isArray(key) && key.length === 3 && key.every((part) => typeof part === 'string')) return key as [string, string, string];
    } catch {
      // not a cursor this API wrote
    }
    ctx.addIssue({ code: 'custom', message: 'must be the nextCursor of a previous answer' });
    return z.NEVER;
  });

const day = z.iso.date({ message: 'must be a day, yyyy-mm-dd' });

const unitEconomicsWindowFields = {
  period: z.enum(['hour', 'day']).default('day'),
  from: day.optional(),
  to: day.optional(),
  scopeKind: z.enum(unitEconomicsScopeKinds).optional(),
  scope: z.string().min(1).max(512).optional(),
};

function checkEconomicsWindow(
  q: {
    period: 'hour' | 'day';
    from?: string | undefined;
    to?: string | undefined;
    scope?: string | undefined;
    scopeKind?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  if (q.scope && !q.scopeKind)
    ctx.addIssue({ code: 'custom', path: ['scope'], message: `scope needs scopeKind (${unitEconomicsScopeKinds.join(', ')})` });
  if (q.from && q.to && q.from >= q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' });
  const maxDays = q.period === 'hour' ? MAX_HOURLY_WINDOW_DAYS : MAX_ECONOMICS_WINDOW_DAYS;
  if (q.from && q.to && (Date.parse(q.to) - Date.parse(q.from)) / DAY_MS > maxDays) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${maxDays} days between from and to for ${q.period} rows` });
  }
}

/** `GET /v1/unit-economics`: stored rows of the analysis, by period and scope, for the days [from, to). */
export const unitEconomicsQuerySchema = z
  .object({
    ...unitEconomicsWindowFields,
    limit: z.coerce.number().int().min(1).max(MAX_ECONOMICS_ROWS).default(1000),
    cursor: cursorSchema.optional(),
  })
  .superRefine(checkEconomicsWindow);

/** `GET /v1/unit-economics/export`: the same rows as CSV (chargeback by namespace, pod or job), every row of the window. */
export const unitEconomicsExportQuerySchema = z
  .object({ ...unitEconomicsWindowFields, format: z.literal('csv', { message: "format: only 'csv' is offered" }).default('csv') })
  .superRefine(checkEconomicsWindow);
export type UnitEconomicsQuery = z.output<typeof unitEconomicsQuerySchema>;

/** Default window: the last 7 complete days and today (day rows), or today (hour rows). */
export function economicsWindow(query: Pick<UnitEconomicsQuery, 'period' | 'from' | 'to'>, nowMs: number): { from: number; to: number } {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const maxDays = query.period === 'hour' ? MAX_HOURLY_WINDOW_DAYS : MAX_ECONOMICS_WINDOW_DAYS;
  const to = query.to ? Date.parse(`${query.to}T00:00:00Z`) : today + DAY_MS;
  const from = query.from ? Date.parse(`${query.from}T00:00:00Z`) : to - (query.period === 'hour' ? 1 : 8) * DAY_MS;
  return { from, to: Math.min(to, from + maxDays * DAY_MS) };
}

/** Scope kinds with a row per host, pod or job: left out of an answer unless its scopeKind asks for them. */
const ASKED_FOR_ONLY = new Set<string>(['host', 'pod', 'job']);

type RowKey = Pick<z.infer<typeof unitEconomicsRowSchema>, 'start' | 'scopeKind' | 'scope'>;

/**
 * One page of rows in (start, scope kind, scope) order. Host, pod and job rows are many (one per host, pod or job per
 * period): they are sent only when asked for with scopeKind, so a fleet-wide query stays the size of its pools and teams.
 */
export function economicsPage<Row extends RowKey>(rows: Row[], query: UnitEconomicsQuery): { rows: Row[]; nextCursor: string | null } {
  const key = (r: RowKey): [string, string, string] => [r.start, r.scopeKind, r.scope];
  const compare = (a: [string, string, string], b: [string, string, string]) =>
    a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]) || a[2].localeCompare(b[2]);
  const after = query.cursor;
  const wanted = rows
    .filter((r) => (query.scopeKind ? true : !ASKED_FOR_ONLY.has(r.scopeKind)))
    .filter((r) => !after || compare(key(r), after) > 0)
    .sort((a, b) => compare(key(a), key(b)));
  const page = wanted.slice(0, query.limit);
  const more = wanted.length > page.length;
  return { rows: page, nextCursor: more ? Buffer.from(JSON.stringify(key(page.at(-1)!))).toString('base64url') : null };
}

export const unitEconomicsReportSchema = z
  .object({
    period: z.enum(['hour', 'day']),
    from: z.string(),
    to: z.string(),
    rows: z.array(unitEconomicsRowSchema),
    nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last'),
  })
  .meta({ id: 'UnitEconomicsReport' });

export const analysisRunsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) });

export const analysisRunSchema = z
  .object({
    executionId: z.string(),
    mode: z.enum(['hourly', 'daily']),
    date: z.string(),
    startedAt: z.string(),
    finishedAt: z.string(),
    status: z.enum(['ok', 'partial', 'failed']),
    pools: z.array(
      z.object({ pool: z.string(), status: z.enum(['ok', 'failed']), hostHours: z.number().optional(), error: z.string().optional() }),
    ),
    steps: z.array(z.object({ step: z.string(), status: z.enum(['ok', 'failed']), error: z.string().optional() })),
  })
  .meta({ id: 'AnalysisRun' });
