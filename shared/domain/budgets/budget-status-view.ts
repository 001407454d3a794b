import { z } from 'zod';
import { decimalStringSchema as money } from '../core/money.js';

/** A budget's current period as it is answered and announced. Amounts are exact decimal strings in `currency`. */
export const budgetStatusViewSchema = z.object({
  budgetId: z.string(),
  name: z.string(),
  /** The budget's scope, e.g. `{ team: 'search' }` or `{ provider: 'aws', service: 'Amazon EC2' }`. */
  scope: z.record(z.string(), z.string()),
  periodStart: z.string(),
  periodEnd: z.string(),
  amount: money,
  currency: z.string(),
  actual: money,
  forecast: money,
  /** actual / amount × 100, rounded to 0.1. */
  actualPercent: z.number(),
  forecastPercent: z.number(),
  /** Thresholds (percent of amount) already crossed, by kind. */
  crossed: z.object({ actual: z.array(z.number()), forecast: z.array(z.number()) }),
  /** When the amount runs out at the forecast pace, and the daily spend that would keep the period within it. */
  runway: z
    .object({
      exhaustedOn: z
        .string()
        .nullable()
        .describe('yyyy-mm-dd: the first day actual, then forecast, spend reaches the amount; null: not within the period'),
      daysLeft: z.number().int().nullable().describe('days from today to exhaustedOn'),
      dailySpendToStayWithin: money
        .nullable()
        .describe('(amount − actual) ÷ the days after today, to the cent; 0 once spent; null on the last day'),
    })
    .optional(),
  team: z.string().nullable(),
});
export type BudgetStatusView = z.infer<typeof budgetStatusViewSchema>;
