import { getBudget } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.budget, async ({ path }) => ({
  status: 200,
  body: await getBudget(ledgerDependencies().budgets, path.id),
}));
