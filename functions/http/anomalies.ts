import { listAnomalies } from '../../shared/services/analyze/anomalies.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { resolveAnomalyQuery } from '../../shared/domain/anomalies/anomaly-query.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.anomalies, async ({ query }) => {
  const { from, to, query: window } = resolveAnomalyQuery(query, Date.now());
  return { status: 200, body: { from, to, anomalies: await listAnomalies(ledgerDependencies(), window) } };
});
