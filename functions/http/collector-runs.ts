import { ledgerDependencies } from '../../shared/dependencies.js';
import { collectorRunsQuerySchema } from '../../shared/domain/providers/collector-query.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ query }) => {
  const q = parseWith(collectorRunsQuerySchema, query, 'query');
  return { status: 200, body: { runs: await ledgerDependencies().runs.listRuns(q) } };
});
