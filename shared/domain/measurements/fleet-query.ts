import { z } from 'zod';
import { badRequest } from '../../errors.js';
import { hostSchema } from './measurement-batch.js';
import { stepMs, stepSchema, type Step } from './utilization.js';
import { DAY_MS } from '../core/utc-time.js';

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 time with a zone, e.g. 2026-11-20T00:00:00Z' });

/** Query of `GET /v1/fleet/utilization`. */
export const fleetUtilizationQuerySchema = z.object({
  from: isoTime.optional().describe('start of the window (inclusive); default 24 hours before `to`'),
  to: isoTime.optional().describe('end of the window (exclusive); default now'),
  pool: hostSchema.shape.pool,
  hostId: hostSchema.shape.hostId.optional(),
  step: stepSchema.default('1h').describe('series bucket size'),
});

export const MAX_RANGE_DAYS = 93;
export const MAX_SERIES_POINTS = 10_000;

export interface FleetWindow {
  from: number;
  to: number;
  step: Step;
  pool?: string | undefined;
  hostId?: string | undefined;
}

export function resolveFleetWindow(query: z.infer<typeof fleetUtilizationQuerySchema>, now: number): FleetWindow {
  const to = query.to ? Date.parse(query.to) : now;
  const from = query.from ? Date.parse(query.from) : to - DAY_MS;
  if (from >= to) throw badRequest('from: must be before to', { path: 'from' });
  if (to - from > MAX_RANGE_DAYS * DAY_MS) throw badRequest(`from: the window may span at most ${MAX_RANGE_DAYS} days`, { path: 'from' });
  if ((to - from) / stepMs[query.step] > MAX_SERIES_POINTS) {
    throw badRequest(`step: ${query.step} over this window gives more than ${MAX_SERIES_POINTS} points; use a larger step`, {
      path: 'step',
    });
  }
  return { from, to, step: query.step, pool: query.pool, hostId: query.hostId };
}
