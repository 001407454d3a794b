import { ledgerDependencies } from '../../shared/dependencies.js';
import { setModelPrice } from '../../shared/domain/usage/usage-pricing.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.putModelPrice, async ({ path, body }) => ({
  status: 200,
  body: await setModelPrice(ledgerDependencies().usage, path.model, body, Date.now()),
}));
