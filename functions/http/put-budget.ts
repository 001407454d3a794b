import { replaceBudget } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { budgetInputSchema, budgetPathSchema } from '../../shared/domain/budgets/budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'admin', body: true }, async ({ path, body }) => {
  const { id } = parseWith(budgetPathSchema, path, 'path');
  const input = parseWith(budgetInputSchema, body);
  return { status: 200, body: await replaceBudget(ledgerDependencies().budgets, id, input, Date.now()) };
});
