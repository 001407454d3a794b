import { deleteExecutionBudget } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { executionBudgetPathSchema } from '../../shared/domain/budgets/execution-budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'admin' }, async ({ path }) => {
  const { id } = parseWith(executionBudgetPathSchema, path, 'path');
  await deleteExecutionBudget(ledgerDependencies().executionBudgets, id);
  return { status: 204, body: '', raw: true };
});
