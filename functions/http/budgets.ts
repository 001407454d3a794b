import { listBudgets } from '../../shared/services/budgets/budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async () => ({ status: 200, body: await listBudgets(ledgerDependencies().budgets) }));
