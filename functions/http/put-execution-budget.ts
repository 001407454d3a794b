import { replaceExecutionBudget } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { executionBudgetInputSchema, executionBudgetPathSchema } from '../../shared/domain/budgets/execution-budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'admin', body: true }, async ({ path, body }) => {
  const { id } = parseWith(executionBudgetPathSchema, path, 'path');
  const definition = parseWith(executionBudgetInputSchema, body);
  return { status: 200, body: await replaceExecutionBudget(ledgerDependencies().executionBudgets, id, definition, Date.now()) };
});
