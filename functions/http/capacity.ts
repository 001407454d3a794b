import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.capacity, async ({ query }) => ({
  status: 200,
  body: { observations: await ledgerDependencies().capacity.latest(query) },
}));
