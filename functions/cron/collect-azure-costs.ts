import { collectorHandler } from '../../shared/middleware/collector.js';

/** Scheduled (shared/schedules.ts): Azure Cost Management actual and amortized costs of the trailing window (or the payload's from/to), as FOCUS records. */
export const handler = collectorHandler('azure-costs');
