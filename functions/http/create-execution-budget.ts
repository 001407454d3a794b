import { createExecutionBudget } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.createExecutionBudget, async ({ body }) => ({
  status: 201,
  body: await createExecutionBudget(ledgerDependencies().executionBudgets, body, Date.now()),
}));
