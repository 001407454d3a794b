import { DAY_MS } from '../../domain/core/utc-time.js';
import { unitCostVariance, type VarianceReport, type varianceQuerySchema } from '../../domain/economics/variance.js';
import { notFound } from '../../errors.js';
import type { EconomicsRecords } from '../stores.js';
import type { z } from 'zod';

/**
 * `GET /v1/unit-economics/variance`: one scope's day against the day before it. The fleet's cost per effective
 * GPU-hour is split by pool as well (the pools' rows of both days), so work moving between pools shows as mix.
 */
export async function unitEconomicsVariance(
  deps: { economics: Pick<EconomicsRecords, 'rows'> },
  query: z.output<typeof varianceQuerySchema>,
): Promise<VarianceReport> {
  const day = Date.parse(`${query.date}T00:00:00Z`);
  const range = { period: 'day' as const, from: day - DAY_MS, to: day + DAY_MS };
  const rows = await deps.economics.rows({ ...range, scopeKind: query.scopeKind, scope: query.scope });
  const previous = rows.find((r) => Date.parse(r.start) === day - DAY_MS);
  const current = rows.find((r) => Date.parse(r.start) === day);
  if (!previous || !current) {
    throw notFound(`date: no ${query.scopeKind} ${query.scope} row on ${current ? 'the day before ' : ''}${query.date}`);
  }
  if (query.scopeKind !== 'fleet') return unitCostVariance(previous, current);
  const pools = await deps.economics.rows({ ...range, scopeKind: 'pool' });
  return unitCostVariance(previous, current, {
    previous: pools.filter((r) => r.start === previous.start),
    current: pools.filter((r) => r.start === current.start),
  });
}
