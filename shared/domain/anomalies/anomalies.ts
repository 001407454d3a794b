import { createHash } from 'node:crypto';
import { type AnomalyView } from './anomaly-view.js';
import { focusProviderNames, type FocusRecord } from '../costs/focus.js';
import { DAY_MS, dayOf } from '../core/utc-time.js';
import { compareDecimal, formatDecimal, parseDecimal, roundDecimal, ZERO, type Decimal } from '../core/money.js';
import { MAD_SCALE, median } from '../core/statistics.js';
import type { UsageMinute } from '../usage/usage-rollup.js';

/**
 * Anomalies and drift, computed from daily series.
 *
 * Series. Spend: the daily sum of FOCUS EffectiveCost per provider, service (ServiceName), account (SubAccountId,
 * else BillingAccountId) and team (the team tag; `(untagged)` without it), per currency. Drift: LLM usage per
 * workflow and per model, as tokens per request ((input + output) / requests), retry rate (retries / requests) and
 * cost per request (cost / priced requests).
 *
 * Baseline of the day under test D, from the 56 days before it (D is never part of its own baseline):
 * - same weekday: when the series has at least 3 observed days among D−7, D−14, ..., D−56, the expected value is
 *   their median. The spread is the MAD of the residuals of this weekday model over the whole 56 days: each
 *   observed day minus the median of its own weekday (weekdays with at least 3 observed days), so the score rests
 *   on up to 56 residuals rather than on 3 to 8.
 * - young series (fewer than 3 such days, at least 7 observed days among D−28..D−1): the trailing median times
 *   a weekday factor. The factor of a weekday is the mean of its observed days over the mean of all observed days
 *   (1 for a weekday not seen yet); the median is taken over the days with their own weekday's factor divided out,
 *   and the expected value is that median times D's weekday factor. The residuals are the days minus their plain
 *   median, which still hold the weekly swing: a young series is scored conservatively until it has three weeks.
 * - otherwise (fewer than 7 observed days) the series is not scored.
 * A day is observed for a series from the series' first day in the window, when the store holds any record for
 * that day (a collection gap is not a day of zero spend), and unless an anomaly of that series and day was marked
 * `unexpected`. Days marked `expected`, and anomalies nobody reviewed, stay in the baseline: the medians tolerate
 * them, and a lasting change of level is absorbed instead of being flagged for ever.
 *
 * Score: (actual − expected) / (1.4826 × MAD). When MAD is 0 (over half the residuals are 0) the scale is
 * 1.2533 × the mean absolute residual (Iglewicz and Hoaglin); when every residual is 0 (a perfectly flat baseline)
 * it is 1% of the expected value, at least the metric's resolution (a cent, a token ...), so any change has a
 * finite score and the floors decide.
 *
 * Raised when all hold: actual above expected (a drop is not alerted: a provider that has not reported yet looks
 * like one); score ≥ the minimum score; actual − expected ≥ the percent floor of expected; and the dollar effect
 * ≥ the dollar floor (for drift only when it can be priced).
 *
 * Root cause of a spend anomaly: for each dimension (service, region, account, usage type, resource; not the
 * series' own), each value's actual on D minus its own expected value, which is the series' expected value times
 * the value's share of the series over the baseline days (so the contributions of one dimension sum to the series'
 * delta, up to rounding). Top 5 per dimension, largest |delta| first.
 */

export const BASELINE_DAYS = 56;
/** Days read for one day under test: the baseline and the day itself. */
export const WINDOW_DAYS = BASELINE_DAYS + 1;
const TARGET = BASELINE_DAYS;
const SAME_WEEKDAY_MIN_DAYS = 3;
const YOUNG_SERIES_DAYS = 28;
const YOUNG_SERIES_MIN_DAYS = 7;
const TOP_CONTRIBUTIONS = 5;

export const spendDimensions = ['provider', 'service', 'account', 'team'] as const;
export type SpendDimension = (typeof spendDimensions)[number];
export const rootCauseDimensions = ['service', 'region', 'account', 'usageType', 'resource'] as const;
export type RootCauseDimension = (typeof rootCauseDimensions)[number];
export const driftDimensions = ['workflow', 'model'] as const;
export type DriftDimension = (typeof driftDimensions)[number];
export const driftMetrics = ['tokensPerRequest', 'retryRate', 'costPerRequest'] as const;
export type DriftMetric = (typeof driftMetrics)[number];

export const SPEND_METRIC = 'EffectiveCost';
export const UNTAGGED_TEAM = '(untagged)';
/** The key of a root-cause value the record does not have (no region, no resource id). */
export const NO_VALUE = '(none)';
const USAGE_CURRENCY = 'USD';

export type AnomalyVerdict = 'expected' | 'unexpected';

export interface AnomalyThresholds {
  /** Dollars a day. */
  minDollars: number;
  /** Percent of the expected value. */
  minPercent: number;
  minScore: number;
}

/** The settings the detection reads, by their configuration names. */
export function anomalyThresholds(settings: {
  LEDGER_ANOMALY_MIN_DOLLARS: number;
  LEDGER_ANOMALY_MIN_PERCENT: number;
  LEDGER_ANOMALY_MIN_SCORE: number;
}): AnomalyThresholds {
  return {
    minDollars: settings.LEDGER_ANOMALY_MIN_DOLLARS,
    minPercent: settings.LEDGER_ANOMALY_MIN_PERCENT,
    minScore: settings.LEDGER_ANOMALY_MIN_SCORE,
  };
}

/** What a series is; with the day, what an anomaly is. */
export interface SeriesIdentity {
  kind: 'spend' | 'drift';
  dimension: string;
  key: string;
  metric: string;
  currency: string;
}

const identityText = (s: SeriesIdentity) => JSON.stringify([s.kind, s.dimension, s.key, s.metric, s.currency]);

/** Stable id of an anomaly: a digest of the series (kind, dimension, key, metric, currency) and the day. */
export function anomalyIdOf(series: SeriesIdentity, date: string): string {
  return createHash('sha256')
    .update(`${identityText(series)}@${date}`)
    .digest('hex')
    .slice(0, 24);
}

export const ANOMALY_ID_PATTERN = /^[0-9a-f]{24}$/;

const seriesDayKey = (series: SeriesIdentity, date: string) => `${identityText(series)}@${date}`;

/** The (series, day) pairs that later runs leave out of the baselines: anomalies marked `unexpected`. */
export function excludedSeriesDays(
  stored: Iterable<Pick<AnomalyView, 'kind' | 'dimension' | 'key' | 'metric' | 'currency' | 'date' | 'feedback'>>,
): Set<string> {
  const out = new Set<string>();
  for (const a of stored) if (a.feedback === 'unexpected') out.add(seriesDayKey(a, a.date));
  return out;
}

/** The days read for the day under test, oldest first; `days[56]` is the day itself. [from, to) in dates. */
export interface AnomalyWindow {
  date: string;
  days: readonly string[];
  from: string;
  to: string;
}

export function anomalyWindow(date: string): AnomalyWindow {
  const target = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(target)) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  const days = Array.from({ length: WINDOW_DAYS }, (_, i) => dayOf(target - (TARGET - i) * DAY_MS));
  return { date, days, from: days[0]!, to: dayOf(target + DAY_MS) };
}

// ---------------------------------------------------------------------------------------------------------------
// Baseline and score

export interface SeasonalBaseline {
  method: 'same-weekday-median' | 'trailing-median-weekday-factor';
  expected: number;
  /** What one unit of score is worth: 1.4826 × MAD, or the guard when MAD is 0. */
  scale: number;
  /** Indices (into the window) of the days the expected value rests on; root-cause shares use the same days. */
  days: number[];
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** 1.4826 × MAD of the residuals; the guards of the module comment when it is 0. */
export function robustScale(residuals: readonly number[], expected: number, resolution: number): number {
  const absolute = residuals.map(Math.abs);
  const mad = absolute.length ? median(absolute) : 0;
  if (mad > 0) return MAD_SCALE * mad;
  const meanAbsolute = absolute.length ? mean(absolute) : 0;
  if (meanAbsolute > 0) return 1.2533 * meanAbsolute;
  return Math.max(0.01 * Math.abs(expected), resolution);
}

/**
 * The expected value of the last day of `values` (length WINDOW_DAYS; null = not observed) from the days before
 * it, or null when the series is too young to judge. `resolution`: the smallest meaningful change of the metric.
 */
export function seasonalBaseline(values: readonly (number | null)[], resolution: number): SeasonalBaseline | null {
  if (values.length !== WINDOW_DAYS) throw new RangeError(`expected ${WINDOW_DAYS} daily values, got ${values.length}`);
  const observed = (i: number) => values[i] !== null && values[i] !== undefined;
  const sameWeekday: number[] = [];
  for (let i = TARGET - 7; i >= 0; i -= 7) if (observed(i)) sameWeekday.push(i);
  if (sameWeekday.length >= SAME_WEEKDAY_MIN_DAYS) {
    const expected = median(sameWeekday.map((i) => values[i]!));
    const residuals: number[] = [];
    for (let weekday = 0; weekday < 7; weekday++) {
      const days: number[] = [];
      for (let i = weekday; i < TARGET; i += 7) if (observed(i)) days.push(values[i]!);
      if (days.length < SAME_WEEKDAY_MIN_DAYS) continue;
      const m = median(days);
      for (const v of days) residuals.push(v - m);
    }
    return {
      method: 'same-weekday-median',
      expected,
      scale: robustScale(residuals, expected, resolution),
      days: sameWeekday.sort((a, b) => a - b),
    };
  }
  const trailing: number[] = [];
  for (let i = TARGET - YOUNG_SERIES_DAYS; i < TARGET; i++) if (observed(i)) trailing.push(i);
  if (trailing.length < YOUNG_SERIES_MIN_DAYS) return null;
  // Weekday index: a weekday's mean over the mean of all days (1 for a weekday not seen yet); the level is the
  // median of the days with their weekday's index divided out.
  const trailingValues = trailing.map((i) => values[i]!);
  const meanAll = mean(trailingValues);
  const weekdayIndex = (i: number) => {
    const same = trailing.filter((j) => (i - j) % 7 === 0).map((j) => values[j]!);
    return same.length && meanAll !== 0 ? mean(same) / meanAll : 1;
  };
  const indexes = new Map<number, number>();
  for (let weekday = 0; weekday < 7; weekday++) indexes.set(weekday, weekdayIndex(TARGET - weekday));
  const indexOf = (i: number) => indexes.get((TARGET - i) % 7)!;
  const level = median(trailing.map((i) => (indexOf(i) === 0 ? values[i]! : values[i]! / indexOf(i))));
  const expected = level * indexOf(TARGET);
  const rawMedian = median(trailingValues);
  return {
    method: 'trailing-median-weekday-factor',
    expected,
    scale: robustScale(
      trailingValues.map((v) => v - rawMedian),
      expected,
      resolution,
    ),
    days: trailing,
  };
}

/** Whether a change passes the score, the percent floor and (when it has one) the dollar floor. */
export function passesFloors(
  change: { actual: number; expected: number; score: number; dollars: number | null },
  t: AnomalyThresholds,
): boolean {
  const difference = change.actual - change.expected;
  if (!(difference > 0)) return false;
  if (change.score < t.minScore) return false;
  if (difference < (t.minPercent / 100) * Math.abs(change.expected)) return false;
  return change.dollars === null || change.dollars >= t.minDollars;
}

const round = (value: number, places: number) => {
  const f = 10 ** places;
  return Math.round(value * f) / f;
};
const deltaPercentOf = (actual: number, expected: number) =>
  expected === 0 ? 100 : round(((actual - expected) / Math.abs(expected)) * 100, 1);
const dollarsOf = (value: Decimal) => Number(formatDecimal(value));
const decimalOfDollars = (value: number) => parseDecimal(value.toFixed(6));
const cents = (value: Decimal) => formatDecimal(roundDecimal(value, 2));

// ---------------------------------------------------------------------------------------------------------------
// Spend

interface RootCauseEntry {
  dimension: RootCauseDimension;
  key: string;
  /** On the day under test. */
  target: Decimal;
  /** Over the same-weekday days of the baseline and over the trailing 28 days (days left out excluded). */
  sameWeekday: Decimal;
  trailing: Decimal;
}

interface SpendSeries {
  identity: SeriesIdentity;
  daily: Decimal[];
  firstDay: number;
  rootCauses: Map<string, RootCauseEntry>;
}

const providerIds = new Map(Object.entries(focusProviderNames).map(([id, name]) => [name as string, id]));

function rootCauseValue(record: FocusRecord, dimension: RootCauseDimension): string {
  const value =
    dimension === 'service'
      ? record.ServiceName
      : dimension === 'region'
        ? record.RegionId
        : dimension === 'account'
          ? (record.SubAccountId ?? record.BillingAccountId)
          : dimension === 'usageType'
            ? record.x_UsageType
            : record.ResourceId;
  return value === null || value === undefined || value === '' ? NO_VALUE : value;
}

/**
 * Folds FOCUS records, as they are read, into the daily spend series of one window and the root-cause sums the
 * day under test needs. Holds per series 57 daily sums and, per root-cause value, three sums; never the records.
 * Records whose charge period spans more than one UTC day (monthly fees) are not daily spend and are left out.
 */
export class SpendSeriesFold {
  private readonly dayIndex: Map<string, number>;
  private readonly recordsPerDay: number[] = new Array(WINDOW_DAYS).fill(0);
  private readonly series = new Map<string, SpendSeries>();
  /** Days with at least one excluded (series, day), so most records skip the exclusion lookup. */
  private readonly daysWithExclusions = new Set<number>();

  constructor(
    readonly window: AnomalyWindow,
    private readonly options: { teamTag: string; excluded: ReadonlySet<string> },
  ) {
    this.dayIndex = new Map(window.days.map((day, i) => [day, i]));
    for (const entry of options.excluded) {
      const i = this.dayIndex.get(entry.slice(-10));
      if (i !== undefined) this.daysWithExclusions.add(i);
    }
  }

  add(record: FocusRecord): void {
    const day = record.ChargePeriodStart.slice(0, 10);
    const i = this.dayIndex.get(day);
    if (i === undefined) return;
    if (Date.parse(record.ChargePeriodEnd) - Date.parse(`${day}T00:00:00Z`) > DAY_MS) return;
    this.recordsPerDay[i]! += 1;
    const amount = parseDecimal(record.EffectiveCost);
    const currency = record.BillingCurrency;
    const keys: Record<SpendDimension, string> = {
      provider: providerIds.get(record.ProviderName) ?? record.ProviderName,
      service: record.ServiceName,
      account: record.SubAccountId ?? record.BillingAccountId,
      team: record.Tags[this.options.teamTag] || UNTAGGED_TEAM,
    };
    const tracksRootCause = i === TARGET || i % 7 === 0 || i >= TARGET - YOUNG_SERIES_DAYS;
    for (const dimension of spendDimensions) {
      const series = this.seriesOf({ kind: 'spend', dimension, key: keys[dimension], metric: SPEND_METRIC, currency }, i);
      series.daily[i]! += amount;
      if (!tracksRootCause) continue;
      if (i !== TARGET && this.daysWithExclusions.has(i) && this.options.excluded.has(seriesDayKey(series.identity, day))) continue;
      for (const cause of rootCauseDimensions) {
        if (cause === dimension) continue;
        const value = rootCauseValue(record, cause);
        const id = `${cause}\u0000${value}`;
        let entry = series.rootCauses.get(id);
        if (!entry) series.rootCauses.set(id, (entry = { dimension: cause, key: value, target: ZERO, sameWeekday: ZERO, trailing: ZERO }));
        if (i === TARGET) entry.target += amount;
        else {
          if (i % 7 === 0) entry.sameWeekday += amount;
          if (i >= TARGET - YOUNG_SERIES_DAYS) entry.trailing += amount;
        }
      }
    }
  }

  /** The spend anomalies of the day under test (none when the store holds no record of that day). */
  anomalies(thresholds: AnomalyThresholds, feedback: ReadonlyMap<string, AnomalyVerdict> = new Map()): AnomalyView[] {
    if (this.recordsPerDay[TARGET] === 0) return [];
    const out: AnomalyView[] = [];
    for (const series of this.series.values()) {
      const view = this.evaluate(series, thresholds, feedback);
      if (view) out.push(view);
    }
    return out.sort((a, b) => compareDecimal(parseDecimal(b.delta), parseDecimal(a.delta)) || a.anomalyId.localeCompare(b.anomalyId));
  }

  private seriesOf(identity: SeriesIdentity, day: number): SpendSeries {
    // Kind and metric are the same for every spend series.
    const id = `${identity.dimension}\u0000${identity.key}\u0000${identity.currency}`;
    let series = this.series.get(id);
    if (!series)
      this.series.set(id, (series = { identity, daily: new Array<Decimal>(WINDOW_DAYS).fill(ZERO), firstDay: day, rootCauses: new Map() }));
    else if (day < series.firstDay) series.firstDay = day;
    return series;
  }

  private evaluate(series: SpendSeries, thresholds: AnomalyThresholds, feedback: ReadonlyMap<string, AnomalyVerdict>): AnomalyView | null {
    const { identity, daily } = series;
    const { days, date } = this.window;
    const values = daily.map((amount, i) =>
      i < TARGET && (i < series.firstDay || this.recordsPerDay[i] === 0 || this.options.excluded.has(seriesDayKey(identity, days[i]!)))
        ? null
        : dollarsOf(amount),
    );
    const baseline = seasonalBaseline(values, 0.01);
    if (!baseline) return null;
    const actualDecimal = daily[TARGET]!;
    const actual = dollarsOf(actualDecimal);
    const delta = actualDecimal - decimalOfDollars(baseline.expected);
    const score = (actual - baseline.expected) / baseline.scale;
    if (!passesFloors({ actual, expected: baseline.expected, score, dollars: dollarsOf(delta) }, thresholds)) return null;
    const anomalyId = anomalyIdOf(identity, date);
    return {
      anomalyId,
      date,
      kind: 'spend',
      dimension: identity.dimension,
      key: identity.key,
      metric: identity.metric,
      actual: round(actual, 2),
      expected: round(baseline.expected, 2),
      delta: cents(delta),
      deltaPercent: deltaPercentOf(actual, baseline.expected),
      score: round(score, 2),
      currency: identity.currency,
      contributions: contributionsOf(series, baseline),
      team: identity.dimension === 'team' && identity.key !== UNTAGGED_TEAM ? identity.key : null,
      feedback: feedback.get(anomalyId) ?? null,
    };
  }
}

/** Each value's actual minus its share of the series' expected value over the baseline days; top 5 per dimension. */
function contributionsOf(series: SpendSeries, baseline: SeasonalBaseline): AnomalyView['contributions'] {
  const sameWeekday = baseline.method === 'same-weekday-median';
  let baselineTotal = ZERO;
  for (const i of baseline.days) baselineTotal += series.daily[i]!;
  const expected = decimalOfDollars(baseline.expected);
  const byDimension = new Map<RootCauseDimension, { dimension: string; key: string; delta: Decimal }[]>();
  for (const entry of series.rootCauses.values()) {
    const share = sameWeekday ? entry.sameWeekday : entry.trailing;
    const ownExpected = baselineTotal === ZERO ? ZERO : (expected * share) / baselineTotal;
    const delta = roundDecimal(entry.target - ownExpected, 2);
    if (delta === ZERO) continue;
    let list = byDimension.get(entry.dimension);
    if (!list) byDimension.set(entry.dimension, (list = []));
    list.push({ dimension: entry.dimension, key: entry.key, delta });
  }
  const abs = (d: Decimal) => (d < ZERO ? -d : d);
  return rootCauseDimensions.flatMap((dimension) =>
    (byDimension.get(dimension) ?? [])
      .sort((a, b) => (abs(b.delta) > abs(a.delta) ? 1 : abs(b.delta) < abs(a.delta) ? -1 : a.key.localeCompare(b.key)))
      .slice(0, TOP_CONTRIBUTIONS)
      .map((c) => ({ dimension: c.dimension, key: c.key, delta: formatDecimal(c.delta) })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Drift

interface UsageDaily {
  requests: number;
  tokens: number;
  retries: number;
  pricedRequests: number;
  pricedTokens: number;
  cost: Decimal;
}

interface UsageSeries {
  dimension: DriftDimension;
  key: string;
  daily: UsageDaily[];
  teams: Set<string>;
}

/** Smallest meaningful change of each metric: the flat-baseline guard of the score. */
const driftResolution: Record<DriftMetric, number> = { tokensPerRequest: 1, retryRate: 0.001, costPerRequest: 0.000001 };
const driftPlaces: Record<DriftMetric, number> = { tokensPerRequest: 1, retryRate: 4, costPerRequest: 6 };

function metricOf(day: UsageDaily, metric: DriftMetric): number | null {
  if (metric === 'costPerRequest') return day.pricedRequests > 0 ? dollarsOf(day.cost) / day.pricedRequests : null;
  if (day.requests === 0) return null;
  return metric === 'tokensPerRequest' ? day.tokens / day.requests : day.retries / day.requests;
}

/**
 * The dollar effect of a drift on the day under test, when its usage is priced: extra tokens per request at the
 * day's cost per token; extra retries at the day's cost per request (a retry costs about one request); the extra
 * cost per request. Times the day's priced requests.
 */
function dollarEffect(day: UsageDaily, metric: DriftMetric, change: number): number | null {
  if (day.pricedRequests === 0) return null;
  const cost = dollarsOf(day.cost);
  if (metric === 'costPerRequest') return change * day.pricedRequests;
  if (metric === 'retryRate') return change * day.pricedRequests * (cost / day.pricedRequests);
  return day.pricedTokens > 0 ? change * day.pricedRequests * (cost / day.pricedTokens) : null;
}

/** Folds LLM usage minute rollups, as they are read, into daily usage per workflow and per model. */
export class UsageDriftFold {
  private readonly startMs: number;
  private readonly series = new Map<string, UsageSeries>();

  constructor(
    readonly window: AnomalyWindow,
    private readonly options: { excluded: ReadonlySet<string> },
  ) {
    this.startMs = Date.parse(`${window.from}T00:00:00Z`);
  }

  add(rollup: UsageMinute): void {
    const i = Math.floor((rollup.minute - this.startMs) / DAY_MS);
    if (i < 0 || i >= WINDOW_DAYS) return;
    const t = rollup.totals;
    for (const dimension of driftDimensions) {
      const key = rollup.dims[dimension];
      if (!key) continue;
      const id = `${dimension}\u0000${key}`;
      let series = this.series.get(id);
      if (!series) {
        const daily = Array.from({ length: WINDOW_DAYS }, () => ({
          requests: 0,
          tokens: 0,
          retries: 0,
          pricedRequests: 0,
          pricedTokens: 0,
          cost: ZERO,
        }));
        this.series.set(id, (series = { dimension, key, daily, teams: new Set() }));
      }
      const day = series.daily[i]!;
      day.requests += t.requests;
      day.tokens += t.inputTokens + t.outputTokens;
      day.retries += t.retries;
      day.pricedRequests += t.requests - t.unpricedRequests;
      day.pricedTokens += t.inputTokens + t.outputTokens - t.unpricedInputTokens - t.unpricedOutputTokens;
      day.cost += t.cost;
      if (i === TARGET && rollup.dims.team) series.teams.add(rollup.dims.team);
    }
  }

  anomalies(thresholds: AnomalyThresholds, feedback: ReadonlyMap<string, AnomalyVerdict> = new Map()): AnomalyView[] {
    const out: AnomalyView[] = [];
    for (const series of this.series.values()) {
      for (const metric of driftMetrics) {
        const view = this.evaluate(series, metric, thresholds, feedback);
        if (view) out.push(view);
      }
    }
    return out.sort((a, b) => b.score - a.score || a.anomalyId.localeCompare(b.anomalyId));
  }

  private evaluate(
    series: UsageSeries,
    metric: DriftMetric,
    thresholds: AnomalyThresholds,
    feedback: ReadonlyMap<string, AnomalyVerdict>,
  ): AnomalyView | null {
    const identity: SeriesIdentity = { kind: 'drift', dimension: series.dimension, key: series.key, metric, currency: USAGE_CURRENCY };
    const { days, date } = this.window;
    const values = series.daily.map((day, i) =>
      i < TARGET && this.options.excluded.has(seriesDayKey(identity, days[i]!)) ? null : metricOf(day, metric),
    );
    const actual = values[TARGET];
    if (actual === null || actual === undefined) return null;
    const baseline = seasonalBaseline(values, driftResolution[metric]);
    if (!baseline) return null;
    const change = actual - baseline.expected;
    const score = change / baseline.scale;
    const dollars = dollarEffect(series.daily[TARGET]!, metric, change);
    if (!passesFloors({ actual, expected: baseline.expected, score, dollars }, thresholds)) return null;
    const anomalyId = anomalyIdOf(identity, date);
    const places = driftPlaces[metric];
    return {
      anomalyId,
      date,
      kind: 'drift',
      dimension: series.dimension,
      key: series.key,
      metric,
      actual: round(actual, places),
      expected: round(baseline.expected, places),
      delta: dollars === null ? '0' : cents(decimalOfDollars(dollars)),
      deltaPercent: deltaPercentOf(actual, baseline.expected),
      score: round(score, 2),
      currency: USAGE_CURRENCY,
      contributions: [],
      team: series.teams.size === 1 ? [...series.teams][0]! : null,
      feedback: feedback.get(anomalyId) ?? null,
    };
  }
}
