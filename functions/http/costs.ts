import { ledgerDependencies } from '../../shared/dependencies.js';
import { checkCostWindow, costQuerySchema, summarizeCosts } from '../../shared/domain/costs/cost-query.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ query }) => {
  const q = parseWith(costQuerySchema, query, 'query');
  checkCostWindow(q);
  const records = ledgerDependencies().costs.records({ from: q.from, to: q.to, provider: q.provider });
  return { status: 200, body: await summarizeCosts(records, q) };
});
