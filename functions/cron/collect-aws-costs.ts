import { collectOnce, collectionPeriodSchema, runSummary } from '../../shared/services/collect/index.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { parseWith } from '../../shared/errors.js';
import { logger } from '../../shared/logger.js';
import { accountOfContext, jobHandler } from '../../shared/middleware/job.js';

/** Scheduled (shared/schedules.ts): AWS Cost Explorer costs of the trailing restatement window (or the payload's from/to), as FOCUS records. */
export const handler = jobHandler(async (event: unknown, context) => {
  const period = parseWith(collectionPeriodSchema, event ?? {}, 'payload');
  const runs = await collectOnce('aws-costs', ledgerDependencies(), period, { awsAccountId: accountOfContext(context) });
  for (const run of runs) logger[run.status === 'failed' ? 'error' : 'info']('collector run', { run: runSummary(run), runId: run.runId, status: run.status });
  return { runs };
});
