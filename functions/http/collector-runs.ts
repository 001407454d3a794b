import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.collectorRuns, async ({ query }) => ({
  status: 200,
  body: { runs: await ledgerDependencies().runs.listRuns(query) },
}));
