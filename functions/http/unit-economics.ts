import { ledgerDependencies } from '../../shared/dependencies.js';
import { economicsPage, economicsWindow } from '../../shared/domain/economics/economics-query.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.unitEconomics, async ({ query: q }) => {
  const { from, to } = economicsWindow(q, Date.now());
  const rows = await ledgerDependencies().economics.rows({ period: q.period, from, to, scopeKind: q.scopeKind, scope: q.scope });
  return {
    status: 200,
    body: { period: q.period, from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...economicsPage(rows, q) },
  };
});
