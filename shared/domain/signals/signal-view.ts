import { z } from 'zod';
import { decimalStringSchema as money } from '../core/money.js';

/** A recontracting signal as it is stored, listed and announced. Amounts are exact decimal strings in `currency`. */
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
