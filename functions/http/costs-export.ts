import { ledgerDependencies } from '../../shared/dependencies.js';
import { checkCostWindow, focusCsvHeader, focusCsvRow } from '../../shared/domain/costs/cost-query.js';
import { badRequest } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

/** Lambda answers at most 6 MB; past this the client is asked to narrow the window. */
const MAX_CSV_BYTES = 5_000_000;

export const handler = httpHandler(routes.costsExport, async ({ query: q }) => {
  checkCostWindow(q);
  const parts = [focusCsvHeader()];
  let bytes = parts[0]!.length;
  for await (const record of ledgerDependencies().costs.records({ from: q.from, to: q.to, provider: q.provider })) {
    const row = focusCsvRow(record);
    bytes += Buffer.byteLength(row);
    if (bytes > MAX_CSV_BYTES)
      throw badRequest(`from: the export is over ${MAX_CSV_BYTES} bytes; narrow the window or name a provider`, { path: 'from' });
    parts.push(row);
  }
  const filename = `focus-${q.provider ?? 'all'}-${q.from}-${q.to}.csv`;
  return {
    status: 200,
    raw: true,
    body: parts.join(''),
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${filename}"` },
  };
});
