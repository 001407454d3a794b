import { ledgerDependencies } from '../../shared/dependencies.js';
import { resolveUsageWindow, summarizeUsage, usageQuerySchema } from '../../shared/domain/usage/usage-query.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ query }) => {
  const window = resolveUsageWindow(parseWith(usageQuerySchema, query, 'query'), Date.now());
  const rollups = await ledgerDependencies().usage.usageMinutes(window);
  return { status: 200, body: summarizeUsage(rollups, window) };
});
