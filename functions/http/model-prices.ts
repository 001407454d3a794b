import { ledgerDependencies } from '../../shared/dependencies.js';
import { listModelPrices } from '../../shared/domain/usage/usage-pricing.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async () => ({ status: 200, body: await listModelPrices(ledgerDependencies().usage) }));
