import { recordAnomalyFeedback } from '../../shared/services/analyze/anomalies.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.anomalyFeedback, async ({ path, body, token }) => ({
  status: 200,
  body: await recordAnomalyFeedback(ledgerDependencies(), path.id, body, { by: token?.name ?? null, nowMs: Date.now() }),
}));
