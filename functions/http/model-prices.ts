import { ledgerDependencies } from '../../shared/dependencies.js';
import { listModelPrices } from '../../shared/domain/usage/usage-pricing.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.modelPrices, async () => ({
  status: 200,
  body: await listModelPrices(ledgerDependencies().usage),
}));
