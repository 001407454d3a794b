import { collectorHandler } from '../../shared/middleware/collector.js';

/** Scheduled (shared/schedules.ts): GPU on-demand, spot and reserved prices from AWS, Azure and Google Cloud. */
export const handler = collectorHandler('prices');
