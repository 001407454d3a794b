import { ledgerDependencies } from '../../shared/dependencies.js';
import { ingestOtlpTraces } from '../../shared/domain/usage/usage-otlp.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

/** OTLP/HTTP JSON traces; the ledger's own counts travel in headers so the OTLP response stays standard. */
export const handler = httpHandler(routes.ingestOtlpTraces, async ({ body }) => {
  const result = await ingestOtlpTraces(ledgerDependencies().usage, body, Date.now());
  const counts = `accepted=${result.accepted}; duplicates=${result.duplicates}; unpriced=${result.unpriced}; rejected=${result.rejected}; ignored=${result.ignored}`;
  return { status: 200, body: result.response, headers: { 'x-ledger-usage': counts } };
});
