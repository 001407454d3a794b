import { z } from 'zod';
import { defineEvent } from './define.js';
import { decimalStringSchema as money } from '../shared/domain/core/money.js';
import { anomalyViewSchema } from '../shared/domain/anomalies/anomaly-view.js';
import { budgetStatusViewSchema } from '../shared/domain/budgets/budget-status-view.js';
import { signalViewSchema } from '../shared/domain/signals/signal-view.js';

/**
 * Events the analysis publishes on the ledger bus (EventBridge `detail-type` = name). Each carries an `alertKey`:
 * the identity of the alert, stable across runs, so the subscriber delivers each alert once per channel.
 * Amounts are exact decimal strings in `currency`.
 */

export { anomalyViewSchema, type AnomalyView } from '../shared/domain/anomalies/anomaly-view.js';
export { budgetStatusViewSchema, type BudgetStatusView } from '../shared/domain/budgets/budget-status-view.js';
export { signalTypes, signalViewSchema, type SignalType, type SignalView } from '../shared/domain/signals/signal-view.js';

export const signalRaised = defineEvent('signal.raised', signalViewSchema.extend({ alertKey: z.string() }));

export const budgetBreached = defineEvent(
  'budget.breached',
  budgetStatusViewSchema.extend({
    alertKey: z.string(),
    kind: z.enum(['actual', 'forecast']),
    thresholdPercent: z.number(),
    at: z.string(),
  }),
);

export const anomalyDetected = defineEvent('anomaly.detected', anomalyViewSchema.extend({ alertKey: z.string(), at: z.string() }));

export const digestReady = defineEvent(
  'digest.ready',
  z.object({
    alertKey: z.string(),
    /** The UTC day the digest covers (yyyy-mm-dd); the digest itself is stored under it. */
    date: z.string(),
    totalSpend: money,
    currency: z.string(),
    /** The short text version. */
    text: z.string(),
    at: z.string(),
  }),
);

export const analysisEvents = [signalRaised, budgetBreached, anomalyDetected, digestReady] as const;
export type AnalysisEventName = (typeof analysisEvents)[number]['name'];
