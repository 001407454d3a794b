import { budgetStatus, getBudget } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { budgetPathSchema } from '../../shared/domain/budgets/budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ path }) => {
  const { id } = parseWith(budgetPathSchema, path, 'path');
  const deps = ledgerDependencies();
  const budget = await getBudget(deps.budgets, id);
  return { status: 200, body: await budgetStatus(deps, budget, Date.now()) };
});
