import { z } from 'zod';
import { createAnalysisStarter } from '../../shared/adapters/analysis-starter.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { parseWith } from '../../shared/errors.js';
import { logger } from '../../shared/logger.js';
import { jobHandler } from '../../shared/middleware/job.js';

const startSchema = z.object({ mode: z.enum(['hourly', 'daily']), at: z.iso.datetime({ offset: true }).optional() });

/** Scheduled (shared/schedules.ts): starts the analysis state machine, once per schedule slot. */
async function startAnalysis(event: unknown) {
  const input = parseWith(startSchema, event ?? {}, 'payload');
  const { config } = ledgerDependencies();
  const at = input.at ?? new Date().toISOString();
  // One execution per hour (hourly) or per day (daily): a retried schedule reuses the name.
  const slot = input.mode === 'daily' ? at.slice(0, 10) : at.slice(0, 13).replace('T', '-');
  const started = await createAnalysisStarter({
    stateMachineArn: config.LEDGER_ANALYSIS_STATE_MACHINE_ARN,
    region: config.AWS_REGION,
  }).start(`${input.mode}-${slot}`, { mode: input.mode, at });
  logger.info('analysis started', { ...started });
  return started;
}

export const handler = jobHandler(startAnalysis, { dependenciesAtColdStart: true });
