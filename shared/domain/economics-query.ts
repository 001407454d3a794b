import { z } from 'zod';
import { unitEconomicsRowSchema, unitEconomicsScopeKinds } from './unit-economics-row.js';

const DAY_MS = 86_400_000;
export const MAX_ECONOMICS_WINDOW_DAYS = 93;

const day = z.iso.date({ message: 'must be a day, yyyy-mm-dd' });

/** `GET /v1/unit-economics`: stored rows of the analysis, by period and scope, for the days [from, to). */
export const unitEconomicsQuerySchema = z
  .object({
    period: z.enum(['hour', 'day']).default('day'),
    from: day.optional(),
    to: day.optional(),
    scopeKind: z.enum(unitEconomicsScopeKinds).optional(),
    scope: z.string().min(1).max(512).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.scope && !q.scopeKind) ctx.addIssue({ code: 'custom', path: ['scope'], message: 'scope needs scopeKind (pool, host, team, workflow, model, fleet, unallocated)' });
    if (q.from && q.to && q.from >= q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' });
    if (q.from && q.to && (Date.parse(q.to) - Date.parse(q.from)) / DAY_MS > MAX_ECONOMICS_WINDOW_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${MAX_ECONOMICS_WINDOW_DAYS} days between from and to` });
    }
  });
export type UnitEconomicsQuery = z.output<typeof unitEconomicsQuerySchema>;

/** Default window: the last 7 complete days and today. */
export function economicsWindow(query: UnitEconomicsQuery, nowMs: number): { from: number; to: number } {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const to = query.to ? Date.parse(`${query.to}T00:00:00Z`) : today + DAY_MS;
  const from = query.from ? Date.parse(`${query.from}T00:00:00Z`) : to - 8 * DAY_MS;
  return { from, to: Math.min(to, from + MAX_ECONOMICS_WINDOW_DAYS * DAY_MS) };
}

export const unitEconomicsReportSchema = z
  .object({ period: z.enum(['hour', 'day']), from: z.string(), to: z.string(), rows: z.array(unitEconomicsRowSchema) })
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
    pools: z.array(z.object({ pool: z.string(), status: z.enum(['ok', 'failed']), hostHours: z.number().optional(), error: z.string().optional() })),
    steps: z.array(z.object({ step: z.string(), status: z.enum(['ok', 'failed']), error: z.string().optional() })),
  })
  .meta({ id: 'AnalysisRun' });
