import { listBudgets } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.budgets, async () => ({ status: 200, body: await listBudgets(ledgerDependencies().budgets) }));
