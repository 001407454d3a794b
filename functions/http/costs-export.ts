import { ledgerDependencies } from '../../shared/dependencies.js';
import { checkCostWindow, focusCsvHeader, focusCsvRow } from '../../shared/domain/costs/cost-query.js';
import { BoundedCsv } from '../../shared/domain/core/csv.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.costsExport, async ({ query: q }) => {
  checkCostWindow(q);
  const csv = new BoundedCsv(focusCsvHeader(), 'name a provider');
  for await (const record of ledgerDependencies().costs.records({ from: q.from, to: q.to, provider: q.provider }))
    csv.add(focusCsvRow(record));
  const filename = `focus-${q.provider ?? 'all'}-${q.from}-${q.to}.csv`;
  return {
    status: 200,
    raw: true,
    body: csv.text(),
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${filename}"` },
  };
});
