import { settleExecutionBudget } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.settleExecutionBudget, async ({ path, body }) => ({
  status: 200,
  body: await settleExecutionBudget(ledgerDependencies().executionBudgets, path.id, body, Date.now()),
}));
