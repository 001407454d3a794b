import { listExecutionBudgets } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.executionBudgets, async ({ query }) => ({
  status: 200,
  body: await listExecutionBudgets(ledgerDependencies().executionBudgets, query),
}));
