import { z } from 'zod';
import { anomalyViewSchema } from '../anomalies/anomaly-view.js';
import { budgetStatusViewSchema } from '../budgets/budget-status-view.js';
import { signalViewSchema } from '../signals/signal-view.js';
import { unitEconomicsRowSchema } from '../economics/unit-economics-row.js';

const money = z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string');

/**
 * Everything a daily digest says, as data: built by the analysis, stored under its date, rendered to HTML, text,
 * Slack Block Kit and a PNG chart by the notification side.
 */
export const digestModelSchema = z
  .object({
    /** The UTC day the digest covers. */
    date: z.string(),
    /** The period compared (the day, or the trailing days up to it) and the one before, [from, to). */
    from: z.string(),
    to: z.string(),
    previousFrom: z.string(),
    previousTo: z.string(),
    currency: z.string(),
    generatedAt: z.string(),
    totals: z.object({ current: money, previous: money, changePercent: z.number().nullable() }),
    spendByProvider: z.array(z.object({ provider: z.string(), current: money, previous: money, changePercent: z.number().nullable() })),
    /** Daily rows: the fleet, pools, teams, workflows and models, largest cost first. */
    unitEconomics: z.array(unitEconomicsRowSchema),
    /** Why the fleet's unit costs moved from the day before: `$/1M tokens +18.0%: +9.0% price, …` (LMDI parts). */
    unitCostChanges: z.array(z.string()).optional(),
    /** Open signals, largest monthly impact first. */
    signals: z.array(signalViewSchema),
    budgets: z.array(budgetStatusViewSchema),
    anomalies: z.array(anomalyViewSchema),
    /** One point a day over the trailing period: spend and effective GPU utilization (null: no GPUs measured). */
    chart: z.array(z.object({ date: z.string(), spend: money, effectiveUtilization: z.number().nullable() })),
    /** Analysis scopes that failed in the run that built the digest. */
    failedScopes: z.array(z.object({ scope: z.string(), error: z.string() })),
  })
  .meta({ id: 'Digest' });
export type DigestModel = z.infer<typeof digestModelSchema>;
