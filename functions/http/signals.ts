import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.signals, async ({ query }) => ({
  status: 200,
  body: { signals: await ledgerDependencies().signals.list(query) },
}));
