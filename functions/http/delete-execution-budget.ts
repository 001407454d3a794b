import { deleteExecutionBudget } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.deleteExecutionBudget, async ({ path }) => {
  await deleteExecutionBudget(ledgerDependencies().executionBudgets, path.id);
  return { status: 204, body: '', raw: true };
});
