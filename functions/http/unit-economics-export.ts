import { ledgerDependencies } from '../../shared/dependencies.js';
import { unitEconomicsCsvHeader, unitEconomicsCsvRow } from '../../shared/domain/economics/unit-economics-csv.js';
import { economicsWindow } from '../../shared/domain/economics/economics-query.js';
import { badRequest } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

/** Lambda answers at most 6 MB; past this the client is asked to narrow the window. */
const MAX_CSV_BYTES = 5_000_000;

export const handler = httpHandler(routes.unitEconomicsExport, async ({ query: q }) => {
  const { from, to } = economicsWindow(q, Date.now());
  const rows = await ledgerDependencies().economics.rows({ period: q.period, from, to, scopeKind: q.scopeKind, scope: q.scope });
  rows.sort((a, b) => a.start.localeCompare(b.start) || a.scopeKind.localeCompare(b.scopeKind) || a.scope.localeCompare(b.scope));
  const parts = [unitEconomicsCsvHeader()];
  let bytes = parts[0]!.length;
  for (const row of rows) {
    const line = unitEconomicsCsvRow(row);
    bytes += Buffer.byteLength(line);
    if (bytes > MAX_CSV_BYTES) throw badRequest(`from: the export is over ${MAX_CSV_BYTES} bytes; narrow the window or name a scopeKind`, { path: 'from' });
    parts.push(line);
  }
  const filename = `unit-economics-${q.period}-${q.scopeKind ?? 'all'}-${new Date(from).toISOString().slice(0, 10)}.csv`;
  return { status: 200, raw: true, body: parts.join(''), headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${filename}"` } };
});
