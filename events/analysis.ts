import { z } from 'zod';
import { defineEvent } from './define.js';

/**
 * Events the analysis publishes on the ledger bus (EventBridge `detail-type` = name). Each carries an `alertKey`:
 * the identity of the alert, stable across runs, so the subscriber delivers each alert once per channel.
 * Amounts are exact decimal strings in `currency`.
 */
const money = z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string');
const evidenceValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const signalTypes = ['commit', 'move', 'consolidate', 'replace', 'renegotiate', 'reclaim'] as const;
export type SignalType = (typeof signalTypes)[number];

export const signalViewSchema = z.object({
  /** Stable: a digest of the type and the subject, so the same situation keeps its id run after run. */
  signalId: z.string(),
  type: z.enum(signalTypes),
  /** What it is about, for people: `pool gpu-a (H100, aws us-east-1, on-demand)`. */
  subject: z.string(),
  title: z.string(),
  /** One or two sentences that say what to do and why, with the numbers. */
  summary: z.string(),
  /** Estimated dollars a month at stake (saved if acted on, or wasted while not). */
  monthlyImpact: money,
  currency: z.string(),
  /** 0..1 */
  confidence: z.number().min(0).max(1),
  /** The numbers used, by name. */
  evidence: z.record(z.string(), evidenceValue),
  team: z.string().nullable(),
  firstRaisedAt: z.string(),
  updatedAt: z.string(),
});
export type SignalView = z.infer<typeof signalViewSchema>;

export const signalRaised = defineEvent('signal.raised', signalViewSchema.extend({ alertKey: z.string() }));

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
  team: z.string().nullable(),
});
export type BudgetStatusView = z.infer<typeof budgetStatusViewSchema>;

export const budgetBreached = defineEvent(
  'budget.breached',
  budgetStatusViewSchema.extend({
    alertKey: z.string(),
    kind: z.enum(['actual', 'forecast']),
    thresholdPercent: z.number(),
    at: z.string(),
  }),
);

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
