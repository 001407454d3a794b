import { executionBudgetStatus } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.executionBudget, async ({ path, query }) => ({
  status: 200,
  body: await executionBudgetStatus(ledgerDependencies().executionBudgets, path.id, query.conversationId, Date.now()),
}));
