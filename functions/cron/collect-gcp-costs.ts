import { collectorHandler } from '../../shared/middleware/collector.js';

/** Scheduled (shared/schedules.ts): Google Cloud billing-export costs of the trailing window (or the payload's from/to), as FOCUS records. */
export const handler = collectorHandler('gcp-costs');
