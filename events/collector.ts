import { z } from 'zod';
import { defineEvent } from './define.js';

/** Published when a collector run ends `failed` (a partial run is reported in its run record only). */
export const collectorFailed = defineEvent(
  'collector.failed',
  z.object({
    runId: z.string(),
    collector: z.string(),
    provider: z.enum(['aws', 'azure', 'gcp']),
    periodStart: z.string(),
    periodEnd: z.string(),
    error: z.string(),
    at: z.string(),
  }),
);
