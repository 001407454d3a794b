import { ledgerDependencies } from '../../shared/dependencies.js';
import { parseUsageBatch } from '../../shared/domain/usage/usage-events.js';
import { ingestUsage } from '../../shared/domain/usage/usage-ingest.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'ingest', body: true }, async ({ body }) => {
  const { batchId, events } = parseUsageBatch(body);
  return { status: 202, body: await ingestUsage(ledgerDependencies().usage, events, { batchId, now: Date.now() }) };
});
