import { ledgerDependencies } from '../dependencies.js';
import { parseWith } from '../errors.js';
import { logger } from '../logger.js';
import { collectOnce, collectionPeriodSchema, runSummary, type CollectorTarget } from '../services/collect/index.js';
import { accountOfContext, jobHandler } from './job.js';

/**
 * A scheduled collector (shared/schedules.ts): the payload's from/to (or the collector's trailing window), one
 * collection of the target, and a log line per run, an error line for a failed one.
 */
export function collectorHandler(target: CollectorTarget) {
  return jobHandler(async (event: unknown, context) => {
    const period = parseWith(collectionPeriodSchema, event ?? {}, 'payload');
    const runs = await collectOnce(target, ledgerDependencies(), period, { awsAccountId: accountOfContext(context) });
    for (const run of runs)
      logger[run.status === 'failed' ? 'error' : 'info']('collector run', { run: runSummary(run), runId: run.runId, status: run.status });
    return { runs };
  });
}
