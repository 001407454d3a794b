import { z } from 'zod';
import type { LedgerDependencies } from '../../dependencies.js';
import { detectAnomalies } from './anomalies.js';
import { evaluateBudgets } from '../budgets/budgets.js';
import { raiseSignals } from './signals.js';

/** What each assessment task gets from the state machine: the analyzed day and the run's clock. */
export const assessmentInputSchema = z.object({
  mode: z.enum(['hourly', 'daily']),
  date: z.iso.date(),
  at: z.iso.datetime({ offset: true }),
});
export type AssessmentInput = z.output<typeof assessmentInputSchema>;

/** A small result (the state's payload limit is 256 KB): counts, the top item, nothing per row. */
export interface AssessmentOutcome {
  step: 'RaiseSignals' | 'EvaluateBudgets' | 'DetectAnomalies';
  status: 'ok';
  count: number;
  detail: Record<string, string | number | null>;
}

/**
 * Signals over the 30-day observations of the latest daily run (hourly runs bring fresh prices and capacity to
 * them). With no observations yet, nothing is raised and nothing open is resolved.
 */
export async function assessSignals(deps: LedgerDependencies, input: AssessmentInput): Promise<AssessmentOutcome> {
  const { date, pools, gpus, workloads } = await deps.economics.latestObservations(input.date);
  if (date === null) return { step: 'RaiseSignals', status: 'ok', count: 0, detail: { observations: null } };
  const signals = await raiseSignals(deps, { pools, gpus, workloads, nowMs: Date.parse(input.at) });
  return {
    step: 'RaiseSignals',
    status: 'ok',
    count: signals.length,
    detail: {
      observations: date,
      pools: pools.length,
      gpus: gpus.length,
      workloads: workloads.length,
      topImpact: signals[0]?.monthlyImpact ?? null,
    },
  };
}

export async function assessBudgets(deps: LedgerDependencies, input: AssessmentInput): Promise<AssessmentOutcome> {
  const statuses = await evaluateBudgets(deps, Date.parse(input.at));
  const atRisk = statuses.filter((s) => s.crossed.actual.length > 0 || s.crossed.forecast.length > 0).length;
  return { step: 'EvaluateBudgets', status: 'ok', count: statuses.length, detail: { atRisk } };
}

export async function assessAnomalies(deps: LedgerDependencies, input: AssessmentInput): Promise<AssessmentOutcome> {
  const anomalies = await detectAnomalies(deps, { date: input.date, nowMs: Date.parse(input.at) });
  return {
    step: 'DetectAnomalies',
    status: 'ok',
    count: anomalies.length,
    detail: { spend: anomalies.filter((a) => a.kind === 'spend').length, drift: anomalies.filter((a) => a.kind === 'drift').length },
  };
}
