import { z } from 'zod';
import { DAY_MS } from '../../domain/core/utc-time.js';

/** A collection period of whole UTC days: `start` inclusive, `end` exclusive, both `YYYY-MM-DD`. */
export interface CostPeriod {
  start: string;
  end: string;
}

/** Cost Explorer keeps 13 months (38 with multi-year data); BigQuery and Cost Management more. */
export const MAX_COLLECTION_DAYS = 400;

export const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The trailing `days` days, today included: providers may still restate them. */
export function trailingDays(asOf: Date, days: number): CostPeriod {
  const today = Math.floor(asOf.getTime() / DAY_MS) * DAY_MS;
  return { start: isoDay(today - (days - 1) * DAY_MS), end: isoDay(today + DAY_MS) };
}

const day = z.iso.date({ message: 'must be a date, YYYY-MM-DD' });
/** Object-level checks run even when a field failed: they look only at well-formed dates. */
const both = (p: { from?: string | undefined; to?: string | undefined }) => day.safeParse(p.from).success && day.safeParse(p.to).success;

/** `{ from, to }` an invocation or the CLI may give instead of the configured trailing window. */
export const collectionPeriodSchema = z
  .object({ from: day.optional(), to: day.optional().describe('exclusive') })
  .refine((p) => (p.from === undefined) === (p.to === undefined), { message: 'give both from and to, or neither', path: ['from'] })
  .refine((p) => !both(p) || p.from! < p.to!, { message: 'must be before to', path: ['from'] })
  .refine((p) => !both(p) || (Date.parse(p.to!) - Date.parse(p.from!)) / DAY_MS <= MAX_COLLECTION_DAYS, {
    message: `the period may span at most ${MAX_COLLECTION_DAYS} days`,
    path: ['from'],
  });
export type CollectionPeriodInput = z.infer<typeof collectionPeriodSchema>;

/** The given period, or the trailing window. */
export function costPeriod(input: CollectionPeriodInput, asOf: Date, trailing: number): CostPeriod {
  return input.from && input.to ? { start: input.from, end: input.to } : trailingDays(asOf, trailing);
}
