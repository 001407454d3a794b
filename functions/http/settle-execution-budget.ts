import { settleExecutionBudget } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { executionBudgetPathSchema, settleRequestSchema } from '../../shared/domain/budgets/execution-budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'ingest', body: true }, async ({ path, body }) => {
  const { id } = parseWith(executionBudgetPathSchema, path, 'path');
  const request = parseWith(settleRequestSchema, body);
  return { status: 200, body: await settleExecutionBudget(ledgerDependencies().executionBudgets, id, request, Date.now()) };
});
