import { listExecutionBudgets } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { executionBudgetListQuerySchema } from '../../shared/domain/budgets/execution-budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ query }) => {
  const filter = parseWith(executionBudgetListQuerySchema, query, 'query');
  return { status: 200, body: await listExecutionBudgets(ledgerDependencies().executionBudgets, filter) };
});
