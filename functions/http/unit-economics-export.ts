import { ledgerDependencies } from '../../shared/dependencies.js';
import { unitEconomicsCsv } from '../../shared/domain/economics/unit-economics-csv.js';
import { economicsWindow } from '../../shared/domain/economics/economics-query.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.unitEconomicsExport, async ({ query: q }) => {
  const { from, to } = economicsWindow(q, Date.now());
  const rows = await ledgerDependencies().economics.rows({ period: q.period, from, to, scopeKind: q.scopeKind, scope: q.scope });
  const filename = `unit-economics-${q.period}-${q.scopeKind ?? 'all'}-${new Date(from).toISOString().slice(0, 10)}.csv`;
  return {
    status: 200,
    raw: true,
    body: unitEconomicsCsv(rows),
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${filename}"` },
  };
});
