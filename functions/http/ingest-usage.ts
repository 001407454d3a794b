import { ledgerDependencies } from '../../shared/dependencies.js';
import { ingestUsage } from '../../shared/domain/usage/usage-ingest.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.ingestUsage, async ({ body: { batchId, events } }) => ({
  status: 202,
  body: await ingestUsage(ledgerDependencies().usage, events, { batchId, now: Date.now() }),
}));
