import { deleteBudget } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.deleteBudget, async ({ path }) => {
  await deleteBudget(ledgerDependencies().budgets, path.id);
  return { status: 204, body: '', raw: true };
});
