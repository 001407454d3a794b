import { z } from 'zod';
import { anomalyViewSchema } from './anomaly-view.js';
import { badRequest } from '../../errors.js';
import { ANOMALY_ID_PATTERN } from './anomalies.js';
import { DAY_MS, dayOf } from '../core/utc-time.js';

/** `GET /v1/anomalies` and `POST /v1/anomalies/{id}/feedback`. */
const day = z.iso.date({ message: 'must be a date, YYYY-MM-DD' });
export const DEFAULT_ANOMALY_WINDOW_DAYS = 7;
export const MAX_ANOMALY_WINDOW_DAYS = 400;

export const anomalyQuerySchema = z.object({
  from: day.optional().describe(`first day (inclusive); default ${DEFAULT_ANOMALY_WINDOW_DAYS} days before to`),
  to: day.optional().describe('last day (exclusive); default tomorrow, so that today is included'),
  kind: z.enum(['spend', 'drift'], { message: "must be 'spend' or 'drift'" }).optional(),
});
export type AnomalyQueryInput = z.infer<typeof anomalyQuerySchema>;

export interface AnomalyQuery {
  /** Both days included. */
  from: string;
  to: string;
  kind?: 'spend' | 'drift' | undefined;
}

/** Defaults filled and the window checked; `to` turned inclusive for the store. */
export function resolveAnomalyQuery(input: AnomalyQueryInput, nowMs: number): { from: string; to: string; query: AnomalyQuery } {
  const to = input.to ?? dayOf(Math.floor(nowMs / DAY_MS) * DAY_MS + DAY_MS);
  const toMs = Date.parse(`${to}T00:00:00Z`);
  const from = input.from ?? dayOf(toMs - DEFAULT_ANOMALY_WINDOW_DAYS * DAY_MS);
  const fromMs = Date.parse(`${from}T00:00:00Z`);
  if (fromMs >= toMs) throw badRequest('from: must be before to', { path: 'from' });
  if ((toMs - fromMs) / DAY_MS > MAX_ANOMALY_WINDOW_DAYS)
    throw badRequest(`from: the window may span at most ${MAX_ANOMALY_WINDOW_DAYS} days`, { path: 'from' });
  return { from, to, query: { from, to: dayOf(toMs - DAY_MS), kind: input.kind } };
}

export const anomalyIdSchema = z.string().regex(ANOMALY_ID_PATTERN, 'must be an anomaly id (24 hexadecimal digits)');

export const anomalyFeedbackInputSchema = z
  .object({
    verdict: z.enum(['expected', 'unexpected'], { message: "must be 'expected' or 'unexpected'" }),
    note: z.string().max(1000).optional(),
  })
  .strict()
  .meta({ id: 'AnomalyFeedbackInput' });
export type AnomalyFeedbackInput = z.infer<typeof anomalyFeedbackInputSchema>;

export const anomalyListSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    anomalies: z.array(anomalyViewSchema.extend({ firstDetectedAt: z.string(), detectedAt: z.string() })),
  })
  .meta({ id: 'AnomalyList' });

export const anomalyFeedbackResultSchema = z
  .object({
    anomaly: anomalyViewSchema,
    feedback: z.object({
      verdict: z.enum(['expected', 'unexpected']),
      note: z.string().nullable(),
      at: z.string(),
      by: z.string().nullable(),
    }),
  })
  .meta({ id: 'AnomalyFeedbackResult' });
