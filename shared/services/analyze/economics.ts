import { z } from 'zod';
import { hostHoursFromMinutes } from '../../domain/measurements/host-hours.js';
import { DAY_MS, HOUR_MS, dayOf, hourOf } from '../../domain/core/utc-time.js';
import { UnitEconomicsFold } from '../../domain/economics/unit-economics.js';
import { mapWithConcurrency } from '../../concurrency.js';
import type { CostRecords, EconomicsRecords, MeasurementReader, UsageMinutes } from '../stores.js';
import type { LedgerConfig } from '../../config.js';

/** Hours re-rolled on every run, so measurements that arrive late (an agent's spool after an outage) still count. */
export const ROLLUP_HOURS = 3;
/** Days of the trailing window the signals read (utilization, outliers) and the digest charts. */
export const OBSERVATION_DAYS = 30;
/** Days whose rows every run rewrites: providers restate recent days. */
const RESTATED_DAYS = 3;

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 time' });
const identifier = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be letters, digits, _ . : or - (at most 128)');

export const analysisInputSchema = z.object({
  /** hourly: roll up and analyze the last hour (and the current day); daily: the previous complete day, with a digest. */
  mode: z.enum(['hourly', 'daily']).default('hourly'),
  /** The run's clock (ISO-8601); the scheduler's time when started by it. */
  at: isoTime.optional(),
  /** daily only: the day to analyze (default: the day before `at`); today gives a digest of the day so far. */
  date: z.iso.date().optional(),
  /** Restrict the fan-out to these pools (re-running one pool by hand). */
  pools: z.array(identifier).max(1000).optional(),
});
export type AnalysisInput = z.input<typeof analysisInputSchema>;

export const poolScopeSchema = z.object({ pool: identifier, from: isoTime, to: isoTime });
export type PoolScope = z.infer<typeof poolScopeSchema>;

export const analysisPlanSchema = z.object({
  mode: z.enum(['hourly', 'daily']),
  at: isoTime,
  /** The UTC day analyzed. */
  date: z.iso.date(),
  pools: z.array(poolScopeSchema),
});
export type AnalysisPlan = z.infer<typeof analysisPlanSchema>;

/**
 * What to analyze: the hours to roll up and the pools that reported in them. Hourly runs roll up the last
 * ROLLUP_HOURS complete hours; daily runs the whole analyzed day (up to `at` when that day is today).
 */
export async function planAnalysis(
  deps: { measurements: Pick<MeasurementReader, 'poolsOfDay'> },
  input: z.output<typeof analysisInputSchema>,
  nowMs: number,
): Promise<AnalysisPlan> {
  const at = input.at ? Date.parse(input.at) : nowMs;
  let from: number;
  let to: number;
  let date: string;
  if (input.mode === 'daily') {
    const day = input.date ? Date.parse(`${input.date}T00:00:00Z`) : Math.floor(at / DAY_MS) * DAY_MS - DAY_MS;
    date = dayOf(day);
    from = day;
    to = Math.max(day + HOUR_MS, Math.min(day + DAY_MS, hourOf(at) + HOUR_MS));
  } else {
    to = hourOf(at);
    from = to - ROLLUP_HOURS * HOUR_MS;
    date = dayOf(to - HOUR_MS);
  }
  const days = [...new Set([dayOf(from), dayOf(to - 1)])];
  const pools = new Set<string>();
  for (const day of days) for (const pool of await deps.measurements.poolsOfDay(day)) pools.add(pool);
  const selected = input.pools ? [...pools].filter((p) => input.pools!.includes(p)) : [...pools];
  const window = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  return { mode: input.mode, at: new Date(at).toISOString(), date, pools: selected.sort().map((pool) => ({ pool, ...window })) };
}

export interface PoolRollupResult {
  pool: string;
  status: 'ok';
  hosts: number;
  hostHours: number;
}

/** One Map iteration: the pool's hosts' minutes in the window folded into host-hours and stored. */
export async function rollupPool(
  deps: { measurements: MeasurementReader; economics: Pick<EconomicsRecords, 'putHostHours'> },
  scope: PoolScope,
): Promise<PoolRollupResult> {
  const from = Date.parse(scope.from);
  const to = Date.parse(scope.to);
  const hosts = new Set<string>();
  for (const day of new Set([dayOf(from), dayOf(to - 1)]))
    for (const host of await deps.measurements.hostsOfPool(day, scope.pool)) hosts.add(host);
  const perHost = await mapWithConcurrency([...hosts], 8, async (hostId) =>
    hostHoursFromMinutes(await deps.measurements.hostMinutes({ from, to, hostId })),
  );
  const hostHours = perHost.flat();
  await deps.economics.putHostHours(hostHours);
  return { pool: scope.pool, status: 'ok', hosts: hosts.size, hostHours: hostHours.length };
}

export const summarizeInputSchema = z.object({ mode: z.enum(['hourly', 'daily']), date: z.iso.date(), at: isoTime });

export interface EconomicsSummary {
  date: string;
  rows: number;
  pools: number;
  gpus: number;
  allocation: { joinedRecords: number; unallocatedRecords: number; allocatedCost: string; unallocatedCost: string };
}

/**
 * Unit economics up to the analyzed day. Daily runs fold the trailing OBSERVATION_DAYS (rows of every day for the
 * fleet, all rows of the days providers may still restate, and the pool and GPU observations the signals read);
 * hourly runs fold only those restated days and the hours of the analyzed day, so an hourly run reads days, not a
 * month. Streams host-hours and costs into the fold, and usage a day at a time; nothing but aggregates is held.
 */
export async function summarizeEconomics(
  deps: {
    economics: Pick<EconomicsRecords, 'hostHours' | 'putRows' | 'putObservations'>;
    costs: CostRecords;
    usage: UsageMinutes;
    config: Pick<LedgerConfig, 'LEDGER_TEAM_TAG'>;
  },
  input: z.output<typeof summarizeInputSchema>,
): Promise<EconomicsSummary> {
  const dayStart = Date.parse(`${input.date}T00:00:00Z`);
  const to = dayStart + DAY_MS;
  const from = to - (input.mode === 'daily' ? OBSERVATION_DAYS : RESTATED_DAYS) * DAY_MS;
  const fold = new UnitEconomicsFold({ from, to, hours: { from: dayStart, to } }, { teamTag: deps.config.LEDGER_TEAM_TAG });
  for await (const h of deps.economics.hostHours({ from, to })) fold.addHostHour(h);
  for await (const r of deps.costs.records({ from: new Date(from).toISOString(), to: new Date(to).toISOString() })) fold.addCost(r);
  // The usage store answers a list: one day at a time, so a 30-day window of minute rollups is never held at once.
  for (let day = from; day < to; day += DAY_MS)
    for (const m of await deps.usage.usageMinutes({ from: day, to: day + DAY_MS })) fold.addUsage(m);
  const result = fold.result();
  // Fleet rows of every day (the digest chart); all rows of the days providers may still restate.
  const restatedFrom = to - RESTATED_DAYS * DAY_MS;
  const rows = result.rows.filter((r) => r.scopeKind === 'fleet' || Date.parse(r.start) >= restatedFrom);
  await deps.economics.putRows(rows);
  if (input.mode === 'daily')
    await deps.economics.putObservations(input.date, { pools: result.pools, gpus: result.gpus, workloads: result.workloads });
  return { date: input.date, rows: rows.length, pools: result.pools.length, gpus: result.gpus.length, allocation: result.allocation };
}
