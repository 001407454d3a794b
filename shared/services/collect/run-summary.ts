import type { CollectorRun } from '../../domain/providers/collector-runs.js';

/** One line per run, for logs, `npm start` and the CLI: `aws-costs ok rows=120 pages=9 1.2 s BilledCost USD 123.45 EffectiveCost USD 120`. */
export function runSummary(run: CollectorRun): string {
  const totals = (run.totals ?? []).flatMap((t) => [
    `BilledCost ${t.currency} ${t.billedCost}`,
    `EffectiveCost ${t.currency} ${t.effectiveCost}`,
  ]);
  const problem =
    run.status === 'ok'
      ? []
      : run.status === 'partial'
        ? [`(${run.failures?.length ?? 0} part(s) failed: ${run.failures?.join('; ')})`]
        : [`(${run.error})`];
  return [
    run.collector.padEnd(12),
    run.status.padEnd(14),
    `rows=${run.rows}`,
    `pages=${run.pages}`,
    `${(run.durationMs / 1000).toFixed(1)} s`,
    ...totals,
    ...problem,
  ].join(' ');
}
