import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';
import { unitEconomicsVariance } from '../../shared/services/analyze/variance.js';

export const handler = httpHandler(routes.unitEconomicsVariance, async ({ query }) => ({
  status: 200,
  body: await unitEconomicsVariance(ledgerDependencies(), query),
}));
