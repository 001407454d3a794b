import { ledgerDependencies } from '../../shared/dependencies.js';
import { checkCostWindow, summarizeCosts } from '../../shared/domain/costs/cost-query.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.costs, async ({ query: q }) => {
  checkCostWindow(q);
  const records = ledgerDependencies().costs.records({ from: q.from, to: q.to, provider: q.provider });
  return { status: 200, body: await summarizeCosts(records, q) };
});
