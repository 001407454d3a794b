import { createBudget } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { budgetInputSchema } from '../../shared/domain/budgets/budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'admin', body: true }, async ({ body }) => {
  const input = parseWith(budgetInputSchema, body);
  return { status: 201, body: await createBudget(ledgerDependencies().budgets, input, Date.now()) };
});
