import { randomUUID } from 'node:crypto';
import { collectorFailed } from '../../../events/collector.js';
import type { LedgerEvent } from '../../../events/define.js';
import type { CollectorOutcome, CollectorRun, RunProgress, RunSpec } from '../../domain/providers/collector-runs.js';

/**
 * One collector run, whatever its end, leaves a run record; a failed one also publishes `collector.failed`. A provider
 * without credentials is `not-configured`, reported once per process.
 */
export interface RunDependencies {
  putRun(run: CollectorRun): Promise<void>;
  publish(events: LedgerEvent[]): Promise<void>;
  now(): Date;
  warn(message: string, details: Record<string, unknown>): void;
}

const reportedNotConfigured = new Set<string>();

export async function runCollector(
  deps: RunDependencies,
  spec: RunSpec,
  work: (progress: RunProgress) => Promise<CollectorOutcome>,
): Promise<CollectorRun> {
  const started = deps.now();
  const base = {
    runId: `${spec.collector}-${started.getTime()}-${randomUUID().slice(0, 8)}`,
    collector: spec.collector,
    provider: spec.provider,
    periodStart: spec.periodStart,
    periodEnd: spec.periodEnd,
    startedAt: started.toISOString(),
  };
  let rows = 0;
  let pages = 0;
  const progress: RunProgress = { runId: base.runId, page: () => void pages++, rows: (n) => void (rows += n) };
  let run: CollectorRun;
  if (spec.configured !== true) {
    if (!reportedNotConfigured.has(spec.collector)) {
      reportedNotConfigured.add(spec.collector);
      deps.warn('collector not configured', { collector: spec.collector, missing: spec.configured.missing });
    }
    run = { ...base, status: 'not-configured', rows, pages, durationMs: 0, error: `not configured: ${spec.configured.missing}` };
  } else {
    try {
      const outcome = await work(progress);
      const failures = outcome.failures ?? [];
      run = {
        ...base,
        status: failures.length ? 'partial' : 'ok',
        rows,
        pages,
        durationMs: deps.now().getTime() - started.getTime(),
        ...(failures.length ? { failures } : {}),
        ...(outcome.totals ? { totals: outcome.totals } : {}),
      };
    } catch (error) {
      run = {
        ...base,
        status: 'failed',
        rows,
        pages,
        durationMs: deps.now().getTime() - started.getTime(),
        error: (error as Error).message,
      };
    }
  }
  await deps.putRun(run);
  if (run.status === 'failed') {
    await deps.publish([
      collectorFailed.create({
        runId: run.runId,
        collector: run.collector,
        provider: run.provider,
        periodStart: run.periodStart,
        periodEnd: run.periodEnd,
        error: run.error ?? 'unknown',
        at: deps.now().toISOString(),
      }),
    ]);
  }
  return run;
}
