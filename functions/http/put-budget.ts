import { replaceBudget } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.putBudget, async ({ path, body }) => ({
  status: 200,
  body: await replaceBudget(ledgerDependencies().budgets, path.id, body, Date.now()),
}));
