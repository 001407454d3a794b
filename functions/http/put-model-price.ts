import { ledgerDependencies } from '../../shared/dependencies.js';
import { modelNameSchema, modelPriceInputSchema, setModelPrice } from '../../shared/domain/usage/usage-pricing.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'admin', body: true }, async ({ path, body }) => {
  const model = parseWith(modelNameSchema, path.model, 'path parameter model');
  const input = parseWith(modelPriceInputSchema, body);
  return { status: 200, body: await setModelPrice(ledgerDependencies().usage, model, input, Date.now()) };
});
