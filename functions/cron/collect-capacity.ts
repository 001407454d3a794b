import { collectorHandler } from '../../shared/middleware/collector.js';

/** Scheduled (shared/schedules.ts): AWS capacity reservations, spot placement scores and GPU instance quotas. */
export const handler = collectorHandler('capacity');
