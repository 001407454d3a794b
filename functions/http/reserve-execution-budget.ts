import { reserveExecutionBudget } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

/** A deny is a 200 answer like an allow: the agent asked and was told no. */
export const handler = httpHandler(routes.reserveExecutionBudget, async ({ path, body }) => {
  const { executionBudgets, config } = ledgerDependencies();
  const options = { nowMs: Date.now(), defaultTtlSeconds: config.LEDGER_RESERVATION_TTL_SECONDS };
  return { status: 200, body: await reserveExecutionBudget(executionBudgets, path.id, body, options) };
});
