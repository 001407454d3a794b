import { z } from 'zod';
import { type BudgetStatusView } from './budget-status-view.js';
import { budgetWindowAt } from './execution-budgets.js';
import { focusProviderNames, type FocusProviderName, type FocusRecord } from '../costs/focus.js';
import type { CloudProvider } from '../providers/gpu-catalog.js';
import { DAY_MS, dayOf } from '../core/utc-time.js';
import { divideDecimalByInteger, formatDecimal, parseDecimal, roundDecimal, type Decimal } from '../core/money.js';
import { median } from '../core/statistics.js';
import type { UsageDimensions } from '../usage/usage-rollup.js';

/**
 * Budgets: a scope of spend, an amount per period, and thresholds on actual and forecast spend.
 *
 * Spend of a day is the sum of FOCUS `EffectiveCost` of the cost records charged that day that match the
 * scope, plus the priced cost of the LLM usage minutes of that day that match it. Days are UTC; periods are
 * [start, end) in whole days.
 *
 * The forecast to the end of the period is the actual spend so far plus, for each remaining day, the predicted
 * daily spend (for today: whatever of the prediction today has not spent yet). The prediction is a trend times
 * a weekday factor, fitted on the trailing 28 complete days:
 * - the trend is a Theil–Sen line (median of pairwise slopes, median intercept), not least squares: daily cloud
 *   spend has one-off days (an upfront purchase, a credit, tax posted on one day) that tilt a least-squares
 *   line, while a median ignores them. With two weeks of data or more, only pairs of days on the same weekday
 *   give slopes (the seasonal Sen slope of Hirsch, Slack and Smith, 1982), so that a weekly pattern such as
 *   quiet weekends is not read as a trend;
 * - each weekday's factor is the mean ratio of that weekday's spend to the trend's value on the same day (the
 *   trailing mean level where spend is flat; a ratio to one overall mean would read a rising trend as
 *   "late weekdays are expensive"). Factors are 1 with less than two weeks of data;
 * - a prediction is never negative.
 * History starts at the first day with spend in the trailing 28 days, so a new scope is not forecast as if
 * it had spent nothing before it existed.
 */
/** Days of history the forecast fits on. */
export const FORECAST_HISTORY_DAYS = 28;
/** Weekday factors and the seasonal slope need two of each weekday. */
export const SEASONAL_MIN_DAYS = 14;
/** A period that ended this many days ago or less is still checked on actual spend: bills arrive a day or two late. */
export const LATE_COST_DAYS = 3;
/** The longest custom period (the cost API's window). */
export const MAX_CUSTOM_PERIOD_DAYS = 400;

const isoDay = z.iso.date({ message: 'must be a date, YYYY-MM-DD' });
const scopeText = (max: number) =>
  z.string({ message: 'must be a string' }).min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const budgetScopeSchema = z
  .object({
    provider: z
      .enum(['aws', 'azure', 'gcp'], { message: "must be 'aws', 'azure' or 'gcp'" })
      .optional()
      .describe('cloud provider of the cost records'),
    account: scopeText(256).optional().describe('FOCUS SubAccountId or BillingAccountId'),
    service: scopeText(256).optional().describe('FOCUS ServiceName, e.g. "Amazon Elastic Compute Cloud - Compute"'),
    tag: z
      .object({ key: scopeText(128), value: z.string({ message: 'must be a string' }).max(256, 'must be at most 256 characters') })
      .strict()
      .optional()
      .describe('a FOCUS Tags key and value'),
    team: scopeText(256)
      .optional()
      .describe('the team: cost records whose team tag (LEDGER_TEAM_TAG) has this value, plus the priced LLM usage of the team'),
    workflow: scopeText(256).optional().describe('LLM usage of this gen_ai.workflow.name (cloud cost records carry no workflow)'),
    model: scopeText(256).optional().describe('LLM usage of this model, as reported (cloud cost records carry no model)'),
  })
  .strict()
  .superRefine((scope, ctx) => {
    const cloud = ['provider', 'account', 'service', 'tag'].filter((k) => scope[k as keyof typeof scope] !== undefined);
    const llm = ['workflow', 'model'].filter((k) => scope[k as keyof typeof scope] !== undefined);
    if (cloud.length && llm.length) {
      ctx.addIssue({
        code: 'custom',
        path: [llm[0]!],
        message: `cannot be combined with ${cloud.join(', ')}: LLM usage carries no cloud billing columns and cloud costs carry no ${llm.join(' or ')}, so the budget would match nothing`,
      });
    }
  });
export type BudgetScope = z.infer<typeof budgetScopeSchema>;

const customPeriodSchema = z
  .object({
    custom: z
      .object({ start: isoDay.describe('first day (inclusive)'), end: isoDay.describe('day after the last (exclusive)') })
      .strict()
      .superRefine((span, ctx) => {
        const days = (Date.parse(span.end) - Date.parse(span.start)) / DAY_MS;
        if (!(days > 0)) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
        else if (days > MAX_CUSTOM_PERIOD_DAYS)
          ctx.addIssue({ code: 'custom', path: ['end'], message: `the period may span at most ${MAX_CUSTOM_PERIOD_DAYS} days` });
      }),
  })
  .strict();

const PERIOD_FORMAT = "must be 'daily', 'weekly' (ISO, from Monday), 'monthly' or { custom: { start, end } }";

export const budgetPeriodSchema = z
  .union([z.enum(['daily', 'weekly', 'monthly']), customPeriodSchema], {
    // A union names no inner field by itself: for a custom period that is only half right, say which part is wrong.
    error: (issue) => {
      const input = issue.input as { custom?: unknown } | null | undefined;
      const customIssues = (issue as { errors?: z.core.$ZodIssue[][] }).errors?.[1];
      if (typeof input !== 'object' || input === null || !('custom' in input) || !customIssues?.length) return PERIOD_FORMAT;
      return customIssues.map((i) => `${i.path.join('.') || 'custom'}: ${i.message}`).join('; ');
    },
  })
  .describe('daily, weekly and monthly reset each period (UTC); a custom period is one span of days');
export type BudgetPeriod = z.infer<typeof budgetPeriodSchema>;

export const thresholdKinds = ['actual', 'forecast'] as const;
export type ThresholdKind = (typeof thresholdKinds)[number];

export const budgetThresholdSchema = z
  .object({
    percent: z.number({ message: 'must be a number' }).positive('must be more than 0').max(1000, 'must be at most 1000'),
    on: z.enum(thresholdKinds, { message: "must be 'actual' or 'forecast'" }),
  })
  .strict();
export type BudgetThreshold = z.infer<typeof budgetThresholdSchema>;

export const defaultBudgetThresholds: readonly BudgetThreshold[] = [
  { percent: 50, on: 'actual' },
  { percent: 80, on: 'actual' },
  { percent: 100, on: 'actual' },
  { percent: 100, on: 'forecast' },
];

const thresholdsSchema = z
  .array(budgetThresholdSchema, { message: 'must be a list of { percent, on }' })
  .min(1, 'must list at least one threshold')
  .max(20, 'may list at most 20 thresholds')
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((t, i) => {
      const key = `${t.on}:${t.percent}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: `repeats ${t.percent}% on ${t.on}` });
      seen.add(key);
    });
  });

const AMOUNT_FORMAT = 'must be a decimal string of the currency, e.g. "5000" or "1250.50"';
const amountSchema = z.string({ message: AMOUNT_FORMAT }).transform((text, ctx) => {
  if (!/^\d{1,15}(\.\d{1,12})?$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: AMOUNT_FORMAT });
    return z.NEVER;
  }
  const amount = parseDecimal(text);
  if (amount === 0n) ctx.addIssue({ code: 'custom', message: 'must be more than 0' });
  return formatDecimal(amount);
});

/** Body of `POST /v1/budgets` and `PUT /v1/budgets/{id}`. */
export const budgetInputSchema = z
  .object({
    name: z.string({ message: 'must be a string' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    scope: budgetScopeSchema.default({}).describe('all given fields must match; an empty scope covers all spend'),
    amount: amountSchema.describe('the budget per period, an exact decimal string'),
    currency: z.literal('USD', { message: "only 'USD' is supported" }).default('USD'),
    period: budgetPeriodSchema,
    thresholds: thresholdsSchema
      .default(() => defaultBudgetThresholds.map((t) => ({ ...t })))
      .describe('percent of the amount; default 50/80/100 on actual and 100 on forecast'),
  })
  .strict()
  .meta({ id: 'BudgetInput' });
export type BudgetInput = z.output<typeof budgetInputSchema>;

export const budgetIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a budget id (letters, digits, - and _, at most 64)');
export const budgetPathSchema = z.object({ id: budgetIdSchema.describe('the budget id') });

/** A stored budget, as the API answers it. */
export const budgetViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: budgetScopeSchema,
    amount: z.string().describe('exact decimal string'),
    currency: z.literal('USD'),
    period: budgetPeriodSchema,
    thresholds: z.array(budgetThresholdSchema),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Budget' });
export type Budget = z.infer<typeof budgetViewSchema>;

export function budgetFromInput(id: string, input: BudgetInput, createdAt: string, updatedAt: string): Budget {
  return { id, ...input, createdAt, updatedAt };
}

// ---------------------------------------------------------------------------------------------- periods

export interface PeriodSpan {
  /** First day, yyyy-mm-dd (inclusive). */
  start: string;
  /** Day after the last, yyyy-mm-dd (exclusive). */
  end: string;
}

/** Epoch ms of 00:00 UTC of a yyyy-mm-dd day. */
export const dayStartMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
export const addDays = (day: string, n: number) => dayOf(dayStartMs(day) + n * DAY_MS);
/** 0 = Monday ... 6 = Sunday. */
export const isoWeekdayOf = (day: string) => (new Date(dayStartMs(day)).getUTCDay() + 6) % 7;

const windowKinds = { daily: 'day', weekly: 'week', monthly: 'month' } as const;

/** The period of the budget that contains the instant (a custom period is its one span, whatever the instant). */
export function budgetPeriodAt(period: BudgetPeriod, nowMs: number): PeriodSpan {
  if (typeof period !== 'string') return { start: period.custom.start, end: period.custom.end };
  const window = budgetWindowAt(windowKinds[period], nowMs);
  return { start: dayOf(window.start), end: dayOf(window.end!) };
}

/**
 * Periods before the current one that ended at most LATE_COST_DAYS days ago, newest first: late bills can still
 * push them over a threshold. None for a custom period (its one span is the current period).
 */
export function settlingPeriods(period: BudgetPeriod, nowMs: number): PeriodSpan[] {
  if (typeof period !== 'string') return [];
  const oldestEnd = addDays(dayOf(nowMs), -LATE_COST_DAYS);
  const out: PeriodSpan[] = [];
  for (
    let span = budgetPeriodAt(period, dayStartMs(budgetPeriodAt(period, nowMs).start) - DAY_MS);
    span.end > oldestEnd;
    span = budgetPeriodAt(period, dayStartMs(span.start) - DAY_MS)
  ) {
    out.push(span);
  }
  return out;
}

export function daysOf(span: PeriodSpan): string[] {
  const out: string[] = [];
  for (let t = dayStartMs(span.start); t < dayStartMs(span.end); t += DAY_MS) out.push(dayOf(t));
  return out;
}

/** The days whose spend the status of `span` needs at `nowMs`: its days up to today, and the forecast history while it runs. */
export function spendDaysFor(span: PeriodSpan, nowMs: number): string[] {
  const today = dayOf(nowMs);
  const tomorrow = addDays(today, 1);
  const days = daysOf({ start: span.start, end: span.end < tomorrow ? span.end : tomorrow });
  if (span.end > today) days.push(...daysOf({ start: addDays(today, -FORECAST_HISTORY_DAYS), end: today }));
  return [...new Set(days)].sort();
}

// ---------------------------------------------------------------------------------------------- matching

const providerByFocusName = Object.fromEntries(Object.entries(focusProviderNames).map(([provider, name]) => [name, provider])) as Record<
  FocusProviderName,
  CloudProvider
>;

/** Which sources the scope can match: cloud costs carry no workflow or model; LLM usage carries no cloud billing columns. */
export function scopeSources(scope: BudgetScope): { costs: boolean; usage: boolean } {
  return {
    costs: scope.workflow === undefined && scope.model === undefined,
    usage: scope.provider === undefined && scope.account === undefined && scope.service === undefined && scope.tag === undefined,
  };
}

export function costRecordMatches(scope: BudgetScope, record: FocusRecord, teamTag: string): boolean {
  if (scope.workflow !== undefined || scope.model !== undefined) return false;
  if (scope.provider !== undefined && providerByFocusName[record.ProviderName] !== scope.provider) return false;
  if (scope.account !== undefined && record.SubAccountId !== scope.account && record.BillingAccountId !== scope.account) return false;
  if (scope.service !== undefined && record.ServiceName !== scope.service) return false;
  if (scope.tag !== undefined && record.Tags?.[scope.tag.key] !== scope.tag.value) return false;
  if (scope.team !== undefined && record.Tags?.[teamTag] !== scope.team) return false;
  return true;
}

export function usageMatches(scope: BudgetScope, dims: UsageDimensions): boolean {
  if (!scopeSources(scope).usage) return false;
  if (scope.team !== undefined && dims.team !== scope.team) return false;
  if (scope.workflow !== undefined && dims.workflow !== scope.workflow) return false;
  if (scope.model !== undefined && dims.model !== scope.model) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------- forecast

export interface DailySpendModel {
  /** `seasonal-theil-sen`: slope from same-weekday pairs; `theil-sen`: from all pairs (under two weeks); `none`: no spend. */
  method: 'seasonal-theil-sen' | 'theil-sen' | 'none';
  /** Day 0 of the trend: the first day with spend in the history. */
  firstDay: string;
  /** History days fitted on. */
  days: number;
  /** Currency units per day. */
  slope: number;
  /** Trend value on `firstDay`. */
  intercept: number;
  /** Monday first; all 1 under two weeks of data. */
  weekdayFactors: number[];
}

/**
 * Fits the trend and weekday factors on consecutive daily amounts, the first on `firstDay`. Leading days without
 * spend are left out (the scope did not exist yet, or its data had not started).
 */
export function fitDailySpend(history: readonly number[], firstDay: string): DailySpendModel {
  const start = history.findIndex((v) => v !== 0);
  const flat = (method: DailySpendModel['method'], intercept: number, from: string, days: number): DailySpendModel => ({
    method,
    firstDay: from,
    days,
    slope: 0,
    intercept,
    weekdayFactors: [1, 1, 1, 1, 1, 1, 1],
  });
  if (start < 0) return flat('none', 0, firstDay, 0);
  const y = history.slice(start);
  const from = addDays(firstDay, start);
  const seasonal = y.length >= SEASONAL_MIN_DAYS;
  const slopes: number[] = [];
  for (let i = 0; i < y.length; i++) {
    for (let j = i + (seasonal ? 7 : 1); j < y.length; j += seasonal ? 7 : 1) slopes.push((y[j]! - y[i]!) / (j - i));
  }
  const slope = slopes.length ? median(slopes) : 0;
  const intercept = median(y.map((v, t) => v - slope * t));
  const weekdayFactors = [1, 1, 1, 1, 1, 1, 1];
  if (seasonal) {
    const ratios: number[][] = [[], [], [], [], [], [], []];
    const firstWeekday = isoWeekdayOf(from);
    y.forEach((v, t) => {
      const trend = intercept + slope * t;
      if (trend > 0) ratios[(firstWeekday + t) % 7]!.push(v / trend);
    });
    ratios.forEach((r, w) => {
      if (r.length) weekdayFactors[w] = r.reduce((a, b) => a + b, 0) / r.length;
    });
  }
  return { method: seasonal ? 'seasonal-theil-sen' : 'theil-sen', firstDay: from, days: y.length, slope, intercept, weekdayFactors };
}

/** Predicted spend of a day (never negative), rounded to 1e-6 of the currency. */
export function predictDailySpend(model: DailySpendModel, day: string): Decimal {
  if (model.method === 'none') return 0n;
  const t = (dayStartMs(day) - dayStartMs(model.firstDay)) / DAY_MS;
  const value = (model.intercept + model.slope * t) * model.weekdayFactors[isoWeekdayOf(day)]!;
  return value > 0 ? parseDecimal(value.toFixed(6)) : 0n;
}

/** Decimal amounts as numbers for the fit (the fit is an estimate; sums stay exact). */
const toNumber = (d: Decimal) => Number(d) / 1e12;

// ---------------------------------------------------------------------------------------------- status

export interface BudgetStatus {
  span: PeriodSpan;
  /** Spend of the period's days up to and including today. */
  actual: Decimal;
  /** Spend to the end of the period; equal to `actual` once the period is over. */
  forecast: Decimal;
  actualPercent: number;
  forecastPercent: number;
  /** Thresholds reached (spend ≥ percent × amount / 100), ascending. */
  crossed: { actual: number[]; forecast: number[] };
  ended: boolean;
  /** The fitted model; null when no forecast was needed (the period is over). */
  model: DailySpendModel | null;
  runway: BudgetRunway;
}

/**
 * When the amount runs out: the first day on which actual spend, then actual plus the forecast of the days to come,
 * reaches the amount (null when it does not within the period), and the spend per remaining day (after today) that
 * would end the period at the amount (null when no day remains; 0 when the amount is spent).
 */
export interface BudgetRunway {
  exhaustedOn: string | null;
  /** Days from today to `exhaustedOn` (0: today or already); null when not exhausted within the period. */
  daysLeft: number | null;
  dailySpendToStayWithin: Decimal | null;
}

/** Percent of the amount, rounded to 0.1 (a display value: crossings compare exactly). */
function percentOf(value: Decimal, amount: Decimal): number {
  return Math.round((Number(value) / Number(amount)) * 1000) / 10;
}

/** Exact: value ≥ percent % of amount. */
function reaches(value: Decimal, amount: Decimal, percent: number): boolean {
  return value * 100n * 10n ** 12n >= amount * parseDecimal(percent);
}

/**
 * The status of one period of a budget at `nowMs`, from the budget's spend per day (`spendOn` answers 0 for a
 * day without spend; it must know the days `spendDaysFor(span, nowMs)` lists).
 */
export function computeBudgetStatus(
  budget: Pick<Budget, 'amount' | 'thresholds'>,
  span: PeriodSpan,
  spendOn: (day: string) => Decimal,
  nowMs: number,
): BudgetStatus {
  const today = dayOf(nowMs);
  const amount = parseDecimal(budget.amount);
  let actual = 0n;
  let exhaustedOn: string | null = null;
  for (const day of daysOf(span)) {
    if (day > today) continue;
    actual += spendOn(day);
    if (exhaustedOn === null && actual >= amount) exhaustedOn = day;
  }
  const ended = span.end <= today;
  let forecast = actual;
  let model: DailySpendModel | null = null;
  if (!ended) {
    const historyStart = addDays(today, -FORECAST_HISTORY_DAYS);
    const history = daysOf({ start: historyStart, end: today }).map((day) => toNumber(spendOn(day)));
    model = fitDailySpend(history, historyStart);
    for (const day of daysOf(span)) {
      if (day < today) continue;
      const predicted = predictDailySpend(model, day);
      if (day > today) forecast += predicted;
      else if (predicted > spendOn(day)) forecast += predicted - spendOn(day);
      if (exhaustedOn === null && forecast >= amount) exhaustedOn = day;
    }
  }
  const daysAfterToday = daysOf(span).filter((day) => day > today).length;
  const left = amount - actual;
  const runway: BudgetRunway = {
    exhaustedOn,
    daysLeft:
      exhaustedOn === null
        ? null
        : Math.max(0, Math.round((Date.parse(`${exhaustedOn}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / DAY_MS)),
    dailySpendToStayWithin: daysAfterToday === 0 ? null : left <= 0n ? 0n : divideDecimalByInteger(left, daysAfterToday),
  };
  const crossedOn = (value: Decimal, kind: ThresholdKind) =>
    [...new Set(budget.thresholds.filter((t) => t.on === kind && reaches(value, amount, t.percent)).map((t) => t.percent))].sort(
      (a, b) => a - b,
    );
  return {
    span,
    actual,
    forecast,
    actualPercent: percentOf(actual, amount),
    forecastPercent: percentOf(forecast, amount),
    crossed: { actual: crossedOn(actual, 'actual'), forecast: crossedOn(forecast, 'forecast') },
    ended,
    model,
    runway,
  };
}

/** The scope for people and the status view: `{ provider: 'aws', 'tag:env': 'prod', team: 'search' }`. */
export function scopeLabels(scope: BudgetScope): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['provider', 'account', 'service', 'team', 'workflow', 'model'] as const) {
    const value = scope[key];
    if (value !== undefined) out[key] = value;
  }
  if (scope.tag) out[`tag:${scope.tag.key}`] = scope.tag.value;
  return out;
}

export function budgetStatusView(budget: Budget, status: BudgetStatus): BudgetStatusView {
  return {
    budgetId: budget.id,
    name: budget.name,
    scope: scopeLabels(budget.scope),
    periodStart: status.span.start,
    periodEnd: status.span.end,
    amount: budget.amount,
    currency: budget.currency,
    actual: formatDecimal(status.actual),
    forecast: formatDecimal(status.forecast),
    actualPercent: status.actualPercent,
    forecastPercent: status.forecastPercent,
    crossed: status.crossed,
    runway: {
      exhaustedOn: status.runway.exhaustedOn,
      daysLeft: status.runway.daysLeft,
      dailySpendToStayWithin:
        status.runway.dailySpendToStayWithin === null ? null : formatDecimal(roundDecimal(status.runway.dailySpendToStayWithin, 2)),
    },
    team: budget.scope.team ?? null,
  };
}

/** The identity of one breach: one alert per budget, period, kind and threshold. */
export function budgetAlertKey(budgetId: string, periodStart: string, kind: ThresholdKind, percent: number): string {
  return `budget:${budgetId}:${periodStart}:${kind}:${percent}`;
}

export interface BudgetBreach {
  alertKey: string;
  kind: ThresholdKind;
  percent: number;
}

/** The thresholds of the given kinds that the status has crossed, as breaches. */
export function budgetBreaches(budgetId: string, status: BudgetStatus, kinds: readonly ThresholdKind[] = thresholdKinds): BudgetBreach[] {
  return kinds.flatMap((kind) =>
    status.crossed[kind].map((percent) => ({ alertKey: budgetAlertKey(budgetId, status.span.start, kind, percent), kind, percent })),
  );
}
