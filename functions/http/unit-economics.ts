import { ledgerDependencies } from '../../shared/dependencies.js';
import { economicsPage, economicsWindow, unitEconomicsQuerySchema } from '../../shared/domain/economics/economics-query.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ query }) => {
  const q = parseWith(unitEconomicsQuerySchema, query, 'query');
  const { from, to } = economicsWindow(q, Date.now());
  const rows = await ledgerDependencies().economics.rows({ period: q.period, from, to, scopeKind: q.scopeKind, scope: q.scope });
  return { status: 200, body: { period: q.period, from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...economicsPage(rows, q) } };
});
