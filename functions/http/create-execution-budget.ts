import { createExecutionBudget } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { executionBudgetInputSchema } from '../../shared/domain/budgets/execution-budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'admin', body: true }, async ({ body }) => {
  const definition = parseWith(executionBudgetInputSchema, body);
  return { status: 201, body: await createExecutionBudget(ledgerDependencies().executionBudgets, definition, Date.now()) };
});
