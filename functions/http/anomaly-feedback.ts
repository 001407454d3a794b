import { recordAnomalyFeedback } from '../../shared/services/analyze/anomalies.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { anomalyFeedbackInputSchema, anomalyIdSchema } from '../../shared/domain/anomalies/anomaly-query.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'admin', body: true }, async ({ path, body, token }) => {
  const anomalyId = parseWith(anomalyIdSchema, path.id, 'path parameter id');
  const input = parseWith(anomalyFeedbackInputSchema, body);
  return { status: 200, body: await recordAnomalyFeedback(ledgerDependencies(), anomalyId, input, { by: token?.name ?? null, nowMs: Date.now() }) };
});
