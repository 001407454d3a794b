import { ledgerDependencies } from '../../shared/dependencies.js';
import { resolveUsageWindow, summarizeUsage } from '../../shared/domain/usage/usage-query.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.usage, async ({ query }) => {
  const window = resolveUsageWindow(query, Date.now());
  const rollups = await ledgerDependencies().usage.usageMinutes(window);
  return { status: 200, body: summarizeUsage(rollups, window) };
});
