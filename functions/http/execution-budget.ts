import { executionBudgetStatus } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { executionBudgetPathSchema, executionBudgetStatusQuerySchema } from '../../shared/domain/budgets/execution-budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ path, query }) => {
  const { id } = parseWith(executionBudgetPathSchema, path, 'path');
  const { conversationId } = parseWith(executionBudgetStatusQuerySchema, query, 'query');
  return { status: 200, body: await executionBudgetStatus(ledgerDependencies().executionBudgets, id, conversationId, Date.now()) };
});
