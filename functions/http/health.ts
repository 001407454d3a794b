import { tableReachability } from '../../shared/adapters/table-reachability.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.health, async () => {
  const { db, config } = ledgerDependencies();
  const store = await tableReachability(db, config.LEDGER_TABLE_NAME);
  return {
    status: store === 'ok' ? 200 : 503,
    body: { status: store === 'ok' ? 'ok' : 'degraded', store, time: new Date().toISOString() },
  };
});
