import { ledgerDependencies } from '../../shared/dependencies.js';
import { ingestOtlpTraces } from '../../shared/domain/usage/usage-otlp.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

/** OTLP/HTTP JSON traces; the ledger's own counts travel in headers so the OTLP response stays standard. */
export const handler = httpHandler({ scope: 'ingest', body: true }, async ({ body }) => {
  const result = await ingestOtlpTraces(ledgerDependencies().usage, body, Date.now());
  const counts = `accepted=${result.accepted}; duplicates=${result.duplicates}; unpriced=${result.unpriced}; rejected=${result.rejected}; ignored=${result.ignored}`;
  return { status: 200, body: result.response, headers: { 'x-ledger-usage': counts } };
});
