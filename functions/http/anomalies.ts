import { listAnomalies } from '../../shared/services/analyze/anomalies.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { anomalyQuerySchema, resolveAnomalyQuery } from '../../shared/domain/anomalies/anomaly-query.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ query }) => {
  const { from, to, query: window } = resolveAnomalyQuery(parseWith(anomalyQuerySchema, query, 'query'), Date.now());
  return { status: 200, body: { from, to, anomalies: await listAnomalies(ledgerDependencies(), window) } };
});
