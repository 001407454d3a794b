import { z } from 'zod';
import type { AnalysisRun } from '../../adapters/dynamo/economics-store.js';
import type { EconomicsRecords } from '../stores.js';

const failure = z.object({ Error: z.string(), Cause: z.unknown().optional() });
const poolOutcome = z.union([
  z.object({ pool: z.string(), status: z.literal('ok'), hostHours: z.number().optional() }),
  z.object({ pool: z.string(), status: z.literal('failed'), error: z.string(), cause: z.unknown().optional() }),
]);
const stepOutcome = z.looseObject({
  step: z.string(),
  status: z.enum(['ok', 'failed']),
  error: z.string().optional(),
  cause: z.unknown().optional(),
});

/** What the state machine hands its last task: the execution's facts and its whole state. */
export const recordAnalysisInputSchema = z.object({
  executionId: z.string().min(1),
  startedAt: z.string().min(1),
  outcome: z.enum(['completed', 'failed']),
  state: z.looseObject({
    mode: z.enum(['hourly', 'daily']).optional(),
    plan: z.looseObject({ mode: z.enum(['hourly', 'daily']), date: z.string() }).optional(),
    pools: z.array(poolOutcome).optional(),
    assessments: z.array(stepOutcome).optional(),
    digest: z.looseObject({}).optional(),
    digestFailure: failure.optional(),
    failure: failure.optional(),
  }),
});

/** Error text a person can read: the error name and, when the cause is Lambda's JSON error, its message. */
export function describeFailure(error: string, cause: unknown): string {
  if (typeof cause !== 'string' || cause === '') return error;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) return `${error}: ${parsed.errorMessage}`;
  } catch {
    // a plain-text cause
  }
  return `${error}: ${cause}`;
}

/** The run record: per pool and per step, ok or failed with why; partial when some scope failed. */
export async function recordAnalysis(
  deps: { economics: Pick<EconomicsRecords, 'putRun'> },
  input: z.output<typeof recordAnalysisInputSchema>,
  nowMs: number,
): Promise<{ status: AnalysisRun['status']; failedScopes: { scope: string; error: string }[] }> {
  const { state } = input;
  const pools: AnalysisRun['pools'] = (state.pools ?? []).map((p) =>
    p.status === 'ok'
      ? { pool: p.pool, status: 'ok', hostHours: p.hostHours }
      : { pool: p.pool, status: 'failed', error: describeFailure(p.error, p.cause) },
  );
  const steps: AnalysisRun['steps'] = (state.assessments ?? []).map((s) => ({
    step: s.step,
    status: s.status,
    ...(s.status === 'failed' ? { error: describeFailure(s.error ?? 'Error', s.cause) } : {}),
  }));
  if (state.digest) steps.push({ step: 'BuildDigest', status: 'ok' });
  if (state.digestFailure)
    steps.push({ step: 'BuildDigest', status: 'failed', error: describeFailure(state.digestFailure.Error, state.digestFailure.Cause) });
  if (state.failure)
    steps.push({
      step: state.plan ? 'SummarizeEconomics' : 'PlanAnalysis',
      status: 'failed',
      error: describeFailure(state.failure.Error, state.failure.Cause),
    });
  const failedScopes = [
    ...pools.filter((p) => p.status === 'failed').map((p) => ({ scope: `pool ${p.pool}`, error: p.error ?? '' })),
    ...steps.filter((s) => s.status === 'failed').map((s) => ({ scope: s.step, error: s.error ?? '' })),
  ];
  const status: AnalysisRun['status'] = input.outcome === 'failed' ? 'failed' : failedScopes.length ? 'partial' : 'ok';
  const now = new Date(nowMs).toISOString();
  await deps.economics.putRun({
    executionId: input.executionId,
    mode: state.plan?.mode ?? state.mode ?? 'hourly',
    date: state.plan?.date ?? now.slice(0, 10),
    startedAt: input.startedAt,
    finishedAt: now,
    status,
    pools,
    steps,
  });
  return { status, failedScopes };
}
