import { z } from 'zod';
import { decimalStringSchema as money } from '../core/money.js';

/** An anomaly as it is stored, listed and announced. Amounts are exact decimal strings in `currency`. */
export const anomalyViewSchema = z.object({
  /** Stable: the series and the day. */
  anomalyId: z.string(),
  date: z.string(),
  /** `spend` (daily cost series) or `drift` (tokens per request, retry rate, cost per request). */
  kind: z.enum(['spend', 'drift']),
  /** The series: dimension and key, e.g. `service` / `Amazon EC2`, or `workflow` / `support-bot`. */
  dimension: z.string(),
  key: z.string(),
  metric: z.string(),
  actual: z.number(),
  expected: z.number(),
  /** Dollars above (or below) the expected value; for drift, the dollar effect when it can be priced, else 0. */
  delta: money,
  deltaPercent: z.number(),
  /** Robust score: (actual − median) / (1.4826 × MAD). */
  score: z.number(),
  currency: z.string(),
  /** Root cause: the dimensions' values that moved, with their dollars, largest first. */
  contributions: z.array(z.object({ dimension: z.string(), key: z.string(), delta: money })),
  team: z.string().nullable(),
  feedback: z.enum(['expected', 'unexpected']).nullable(),
});
export type AnomalyView = z.infer<typeof anomalyViewSchema>;
