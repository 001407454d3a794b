import { ledgerDependencies } from '../../shared/dependencies.js';
import { DAY_MS } from '../../shared/domain/core/utc-time.js';
import { unitCostVariance } from '../../shared/domain/economics/variance.js';
import { notFound } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.unitEconomicsVariance, async ({ query: q }) => {
  const day = Date.parse(`${q.date}T00:00:00Z`);
  const rows = await ledgerDependencies().economics.rows({
    period: 'day',
    from: day - DAY_MS,
    to: day + DAY_MS,
    scopeKind: q.scopeKind,
    scope: q.scope,
  });
  const previous = rows.find((r) => Date.parse(r.start) === day - DAY_MS);
  const current = rows.find((r) => Date.parse(r.start) === day);
  if (!previous || !current) throw notFound(`date: no ${q.scopeKind} ${q.scope} row on ${current ? 'the day before ' : ''}${q.date}`);
  return { status: 200, body: unitCostVariance(previous, current) };
});
