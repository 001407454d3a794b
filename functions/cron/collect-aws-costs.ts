import { collectorHandler } from '../../shared/middleware/collector.js';

/** Scheduled (shared/schedules.ts): AWS Cost Explorer costs of the trailing restatement window (or the payload's from/to), as FOCUS records. */
export const handler = collectorHandler('aws-costs');
