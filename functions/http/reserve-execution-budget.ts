import { reserveExecutionBudget } from '../../shared/services/execution-budgets/execution-budgets.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { executionBudgetPathSchema, reserveRequestSchema } from '../../shared/domain/budgets/execution-budgets.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

/** A deny is a 200 answer like an allow: the agent asked and was told no. */
export const handler = httpHandler({ scope: 'ingest', body: true }, async ({ path, body }) => {
  const { id } = parseWith(executionBudgetPathSchema, path, 'path');
  const request = parseWith(reserveRequestSchema, body);
  const { executionBudgets, config } = ledgerDependencies();
  const options = { nowMs: Date.now(), defaultTtlSeconds: config.LEDGER_RESERVATION_TTL_SECONDS };
  return { status: 200, body: await reserveExecutionBudget(executionBudgets, id, request, options) };
});
