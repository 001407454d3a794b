import { ledgerDependencies } from '../../shared/dependencies.js';
import { fleetUtilizationQuerySchema, resolveFleetWindow } from '../../shared/domain/measurements/fleet-query.js';
import { summarizeUtilization } from '../../shared/domain/measurements/utilization.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ query }) => {
  const deps = ledgerDependencies();
  const window = resolveFleetWindow(parseWith(fleetUtilizationQuerySchema, query, 'query'), Date.now());
  const rollups = await deps.measurements.hostMinutes(window);
  return { status: 200, body: summarizeUtilization(rollups, window) };
});
