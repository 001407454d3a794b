import { createBudget } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.createBudget, async ({ body }) => ({
  status: 201,
  body: await createBudget(ledgerDependencies().budgets, body, Date.now()),
}));
