import { deleteBudget } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { budgetPathSchema } from '../../shared/domain/budgets/budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'admin' }, async ({ path }) => {
  const { id } = parseWith(budgetPathSchema, path, 'path');
  await deleteBudget(ledgerDependencies().budgets, id);
  return { status: 204, body: '', raw: true };
});
