import { ledgerDependencies } from '../../shared/dependencies.js';
import { resolveFleetWindow } from '../../shared/domain/measurements/fleet-query.js';
import { summarizeUtilization } from '../../shared/domain/measurements/utilization.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.fleetUtilization, async ({ query }) => {
  const window = resolveFleetWindow(query, Date.now());
  const rollups = await ledgerDependencies().measurements.hostMinutes(window);
  return { status: 200, body: summarizeUtilization(rollups, window) };
});
