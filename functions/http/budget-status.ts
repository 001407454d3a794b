import { budgetStatus, getBudget } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.budgetStatus, async ({ path }) => {
  const deps = ledgerDependencies();
  const budget = await getBudget(deps.budgets, path.id);
  return { status: 200, body: await budgetStatus(deps, budget, Date.now()) };
});
