import { describe, expect, it } from 'vitest';
import {
  addDays,
  budgetAlertKey,
  budgetBreaches,
  budgetInputSchema,
  budgetPeriodAt,
  budgetStatusView,
  computeBudgetStatus,
  costRecordMatches,
  daysOf,
  fitDailySpend,
  predictDailySpend,
  settlingPeriods,
  spendDaysFor,
  usageMatches,
  type Budget,
  type BudgetThreshold,
} from './budgets.js';
import { emptyFocusRecord } from '../costs/focus.js';
import { formatDecimal, parseDecimal, type Decimal } from '../core/money.js';

const at = (iso: string) => Date.parse(iso);
/** Wednesday 18 November 2026, noon UTC: 17 complete days of November behind, 12 days ahead after today. */
const NOW = at('2026-11-18T12:00:00Z');
const NOVEMBER = { start: '2026-11-01', end: '2026-12-01' };

/** Spend per day from a function of the day, with today's partial amount given apart. */
function spendFrom(daily: (day: string) => number, today?: number): (day: string) => Decimal {
  return (day) => parseDecimal(day === '2026-11-18' && today !== undefined ? today : day > '2026-11-18' ? 0 : daily(day));
}

const daysBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;

function budget(overrides: Partial<Budget> = {}): Budget {
  return {
    id: 'b1',
    name: 'compute',
    scope: {},
    amount: '2500',
    currency: 'USD',
    period: 'monthly',
    thresholds: [
      { percent: 50, on: 'actual' },
      { percent: 80, on: 'actual' },
      { percent: 100, on: 'actual' },
      { percent: 100, on: 'forecast' },
    ],
    createdAt: '2026-10-01T00:00:00.000Z',
    updatedAt: '2026-10-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('budget periods', () => {
  it('computes the daily, weekly (ISO, Monday) and monthly period of any instant', () => {
    expect(budgetPeriodAt('daily', NOW)).toEqual({ start: '2026-11-18', end: '2026-11-19' });
    expect(budgetPeriodAt('weekly', NOW)).toEqual({ start: '2026-11-16', end: '2026-11-23' });
    expect(budgetPeriodAt('monthly', NOW)).toEqual(NOVEMBER);
    // A Monday at midnight starts its own week; a Sunday just before midnight ends the previous one.
    expect(budgetPeriodAt('weekly', at('2026-11-16T00:00:00Z'))).toEqual({ start: '2026-11-16', end: '2026-11-23' });
    expect(budgetPeriodAt('weekly', at('2026-11-15T23:59:59.999Z'))).toEqual({ start: '2026-11-09', end: '2026-11-16' });
    // Across the year: Friday 1 January 2027 is in the week of Monday 28 December 2026.
    expect(budgetPeriodAt('weekly', at('2027-01-01T08:00:00Z'))).toEqual({ start: '2026-12-28', end: '2027-01-04' });
    expect(budgetPeriodAt('monthly', at('2026-12-31T23:59:59Z'))).toEqual({ start: '2026-12-01', end: '2027-01-01' });
    expect(budgetPeriodAt('monthly', at('2028-02-29T12:00:00Z'))).toEqual({ start: '2028-02-01', end: '2028-03-01' });
    expect(budgetPeriodAt('daily', at('2026-11-18T00:00:00Z'))).toEqual({ start: '2026-11-18', end: '2026-11-19' });
  });

  it('gives a custom period its one span, whatever the instant', () => {
    const custom = { custom: { start: '2026-11-10', end: '2026-11-25' } };
    expect(budgetPeriodAt(custom, NOW)).toEqual({ start: '2026-11-10', end: '2026-11-25' });
    expect(budgetPeriodAt(custom, at('2027-06-01T00:00:00Z'))).toEqual({ start: '2026-11-10', end: '2026-11-25' });
    expect(settlingPeriods(custom, NOW)).toEqual([]);
  });

  it('keeps checking periods that ended in the last three days', () => {
    expect(settlingPeriods('daily', NOW)).toEqual([
      { start: '2026-11-17', end: '2026-11-18' },
      { start: '2026-11-16', end: '2026-11-17' },
      { start: '2026-11-15', end: '2026-11-16' },
    ]);
    expect(settlingPeriods('monthly', at('2026-11-02T06:00:00Z'))).toEqual([{ start: '2026-10-01', end: '2026-11-01' }]);
    expect(settlingPeriods('monthly', at('2026-11-04T00:00:00Z'))).toEqual([]);
    expect(settlingPeriods('weekly', NOW)).toEqual([{ start: '2026-11-09', end: '2026-11-16' }]);
  });

  it('reads the period up to today and the trailing 28 complete days', () => {
    const days = spendDaysFor(NOVEMBER, NOW);
    expect(days[0]).toBe('2026-10-21');
    expect(days.at(-1)).toBe('2026-11-18');
    expect(days).toHaveLength(29);
    // A period that is over needs no history.
    expect(spendDaysFor({ start: '2026-10-01', end: '2026-11-01' }, NOW)).toEqual(daysOf({ start: '2026-10-01', end: '2026-11-01' }));
  });
});

describe('daily spend forecast', () => {
  const historyStart = '2026-10-21'; // a Wednesday, 28 days before today

  it('predicts a flat series flat', () => {
    const model = fitDailySpend(Array(28).fill(100), historyStart);
    expect(model).toMatchObject({
      method: 'seasonal-theil-sen',
      slope: 0,
      intercept: 100,
      weekdayFactors: [1, 1, 1, 1, 1, 1, 1],
      days: 28,
    });
    expect(formatDecimal(predictDailySpend(model, '2026-11-30'))).toBe('100');
  });

  it('extends a linear series along its line', () => {
    const model = fitDailySpend(
      Array.from({ length: 28 }, (_, k) => 10 + 2 * k),
      historyStart,
    );
    expect(model).toMatchObject({ slope: 2, intercept: 10, weekdayFactors: [1, 1, 1, 1, 1, 1, 1] });
    // 18 November is day 28: 10 + 2 × 28 = 66; 30 November is day 40: 90.
    expect(formatDecimal(predictDailySpend(model, '2026-11-18'))).toBe('66');
    expect(formatDecimal(predictDailySpend(model, '2026-11-30'))).toBe('90');
  });

  it('repeats a weekday pattern without reading it as a trend', () => {
    // Monday 70, Tuesday 80, ... Sunday 130 from Monday 2 November: rising within each week, flat across weeks.
    // The median slope of all pairs reads a rise of 0.87 a day (least squares a fall of 0.15); same-weekday pairs see none.
    const series = Array.from({ length: 28 }, (_, k) => 70 + 10 * (k % 7));
    const model = fitDailySpend(series, '2026-11-02');
    expect(model.slope).toBe(0);
    expect(model.intercept).toBe(100);
    expect(model.weekdayFactors.map((f) => Number(f.toFixed(6)))).toEqual([0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3]);
    expect(['2026-12-07', '2026-12-08', '2026-12-13'].map((d) => formatDecimal(predictDailySpend(model, d)))).toEqual(['70', '80', '130']);
  });

  it('uses factor 1 and all pairs under two weeks of data, and ignores a one-day spike', () => {
    // Spend started 10 days ago at 50 a day, one of them 500: 36 of 45 pairwise slopes are 0.
    const series = [...Array(18).fill(0), 50, 50, 50, 500, 50, 50, 50, 50, 50, 50];
    const model = fitDailySpend(series, historyStart);
    expect(model).toMatchObject({
      method: 'theil-sen',
      firstDay: '2026-11-08',
      days: 10,
      slope: 0,
      intercept: 50,
      weekdayFactors: [1, 1, 1, 1, 1, 1, 1],
    });
    expect(formatDecimal(predictDailySpend(model, '2026-11-21'))).toBe('50');
  });

  it('never predicts a negative day', () => {
    // 100, 90, ... 10 over the last 10 days: the line reaches 0 today and goes below after.
    const series = [...Array(18).fill(0), ...Array.from({ length: 10 }, (_, k) => 100 - 10 * k)];
    const model = fitDailySpend(series, historyStart);
    expect(model).toMatchObject({ slope: -10, intercept: 100 });
    expect(predictDailySpend(model, '2026-11-18')).toBe(0n);
    expect(predictDailySpend(model, '2026-11-25')).toBe(0n);
  });

  it('predicts nothing without spend', () => {
    const model = fitDailySpend(Array(28).fill(0), historyStart);
    expect(model.method).toBe('none');
    expect(predictDailySpend(model, '2026-11-20')).toBe(0n);
  });
});

describe('budget runway', () => {
  it('flat: 100 a day from 1,740 on the 18th reaches 2,500 on the 25th; 760 left over 12 days is 63.33 a day', () => {
    // today 1,740 + 60 predicted = 1,800; then 100 a day: 1,900 on the 19th … 2,500 on the 25th
    const status = computeBudgetStatus(
      budget(),
      NOVEMBER,
      spendFrom(() => 100, 40),
      NOW,
    );
    expect([status.runway.exhaustedOn, status.runway.daysLeft]).toEqual(['2026-11-25', 7]);
    expect(budgetStatusView(budget(), status).runway).toEqual({ exhaustedOn: '2026-11-25', daysLeft: 7, dailySpendToStayWithin: '63.33' });
  });

  it('a forecast under the amount runs out on no day; one already spent ran out on the day it was reached', () => {
    const within = computeBudgetStatus(
      budget({ amount: '5000' }),
      NOVEMBER,
      spendFrom(() => 100, 40),
      NOW,
    );
    // (5,000 − 1,740) / 12 = 271.666…
    expect(budgetStatusView(budget({ amount: '5000' }), within).runway).toEqual({
      exhaustedOn: null,
      daysLeft: null,
      dailySpendToStayWithin: '271.67',
    });
    // 100 a day reaches 1,000 on the 10th
    const spent = computeBudgetStatus(
      budget({ amount: '1000' }),
      NOVEMBER,
      spendFrom(() => 100, 40),
      NOW,
    );
    expect(spent.runway).toEqual({ exhaustedOn: '2026-11-10', daysLeft: 0, dailySpendToStayWithin: 0n });
  });
});

describe('budget status', () => {
  it('flat: 100 a day, 40 so far today, over a 2,500 month', () => {
    // actual = 17 × 100 + 40 = 1,740; forecast = 1,740 + (100 − 40) + 12 × 100 = 3,000
    const status = computeBudgetStatus(
      budget(),
      NOVEMBER,
      spendFrom(() => 100, 40),
      NOW,
    );
    expect(formatDecimal(status.actual)).toBe('1740');
    expect(formatDecimal(status.forecast)).toBe('3000');
    expect(status.actualPercent).toBe(69.6);
    expect(status.forecastPercent).toBe(120);
    expect(status.crossed).toEqual({ actual: [50], forecast: [100] });
    expect(budgetBreaches('b1', status).map((b) => b.alertKey)).toEqual([
      'budget:b1:2026-11-01:actual:50',
      'budget:b1:2026-11-01:forecast:100',
    ]);
  });

  it('linear: 10 + 2k a day from 21 October (k = 0), 30 so far today', () => {
    const k = (day: string) => daysBetween('2026-10-21', day);
    // 1–17 November are k = 11..27: 17 × 10 + 2 × 323 = 816; actual = 816 + 30 = 846.
    // Today (k = 28) is predicted 66: 36 more. 19–30 November, k = 29..40: 12 × 10 + 2 × 414 = 948.
    const status = computeBudgetStatus(
      budget({ amount: '2000' }),
      NOVEMBER,
      spendFrom((d) => 10 + 2 * k(d), 30),
      NOW,
    );
    expect(formatDecimal(status.actual)).toBe('846');
    expect(formatDecimal(status.forecast)).toBe('1830');
    expect(status.actualPercent).toBe(42.3);
    expect(status.forecastPercent).toBe(91.5);
    expect(status.crossed).toEqual({ actual: [], forecast: [] });
  });

  it('weekday pattern: 100 on weekdays, 30 on weekends, nothing yet today', () => {
    const weekend = (day: string) => [0, 6].includes(new Date(day).getUTCDay());
    // 1–17 November: Sun 30, 5 × 100, 2 × 30, 5 × 100, 2 × 30, Mon–Tue 2 × 100 = 1,350.
    // Today (Wednesday) 100; 19–30 November: Thu–Fri 200, 60, 500, 60, Mon 100 = 920. Forecast 2,370.
    const status = computeBudgetStatus(
      budget({ amount: '2370' }),
      NOVEMBER,
      spendFrom((d) => (weekend(d) ? 30 : 100), 0),
      NOW,
    );
    expect(formatDecimal(status.actual)).toBe('1350');
    expect(formatDecimal(status.forecast)).toBe('2370');
    expect(status.forecastPercent).toBe(100);
    // Exactly 100%: the forecast threshold is reached.
    expect(status.crossed).toEqual({ actual: [50], forecast: [100] });
  });

  it('counts today at what it spent when that is more than predicted', () => {
    const status = computeBudgetStatus(
      budget(),
      NOVEMBER,
      spendFrom(() => 100, 250),
      NOW,
    );
    // 1,700 + 250 + 12 × 100
    expect(formatDecimal(status.forecast)).toBe('3150');
  });

  it('compares thresholds exactly, at the boundary', () => {
    const thresholds: BudgetThreshold[] = [
      { percent: 33.3, on: 'actual' },
      { percent: 80, on: 'actual' },
      { percent: 100, on: 'actual' },
    ];
    const ended = { start: '2026-11-01', end: '2026-11-02' };
    const status = (spent: string) =>
      computeBudgetStatus(budget({ amount: '300', thresholds }), ended, (d) => (d === '2026-11-01' ? parseDecimal(spent) : 0n), NOW);
    expect(status('99.899999999999').crossed.actual).toEqual([]);
    expect(status('99.9').crossed.actual).toEqual([33.3]);
    expect(status('239.999999').crossed.actual).toEqual([33.3]);
    expect(status('240').crossed.actual).toEqual([33.3, 80]);
    expect(status('300').crossed.actual).toEqual([33.3, 80, 100]);
    // A period that is over forecasts what it spent.
    expect(status('240')).toMatchObject({ ended: true, model: null, forecastPercent: 80 });
    expect(formatDecimal(status('240').forecast)).toBe('240');
  });

  it('forecasts a period that has not started from the trend alone', () => {
    const december = { start: '2026-12-01', end: '2026-12-08' };
    const status = computeBudgetStatus(
      budget({ amount: '1000' }),
      december,
      spendFrom(() => 100, 100),
      NOW,
    );
    expect(formatDecimal(status.actual)).toBe('0');
    expect(formatDecimal(status.forecast)).toBe('700');
  });

  it('names the breach budget:<id>:<periodStart>:<kind>:<percent> and describes the scope', () => {
    expect(budgetAlertKey('b1', '2026-11-01', 'forecast', 87.5)).toBe('budget:b1:2026-11-01:forecast:87.5');
    const b = budget({ scope: { provider: 'aws', tag: { key: 'env', value: 'prod' }, team: 'search' } });
    const view = budgetStatusView(
      b,
      computeBudgetStatus(b, NOVEMBER, () => 0n, NOW),
    );
    expect(view).toMatchObject({
      budgetId: 'b1',
      scope: { provider: 'aws', team: 'search', 'tag:env': 'prod' },
      team: 'search',
      periodStart: '2026-11-01',
      periodEnd: '2026-12-01',
      actual: '0',
      forecast: '0',
    });
  });
});

describe('scope matching', () => {
  const record = {
    ...emptyFocusRecord('aws'),
    BillingAccountId: '111122223333',
    SubAccountId: '444455556666',
    ServiceName: 'Amazon Elastic Compute Cloud - Compute',
    Tags: { team: 'search', env: 'prod' },
  };

  it('matches cost records on every given field', () => {
    expect(costRecordMatches({}, record, 'team')).toBe(true);
    expect(
      costRecordMatches({ provider: 'aws', account: '444455556666', service: 'Amazon Elastic Compute Cloud - Compute' }, record, 'team'),
    ).toBe(true);
    expect(costRecordMatches({ account: '111122223333' }, record, 'team')).toBe(true);
    expect(costRecordMatches({ provider: 'gcp' }, record, 'team')).toBe(false);
    expect(costRecordMatches({ tag: { key: 'env', value: 'prod' }, team: 'search' }, record, 'team')).toBe(true);
    expect(costRecordMatches({ tag: { key: 'env', value: 'dev' } }, record, 'team')).toBe(false);
    expect(costRecordMatches({ team: 'search' }, record, 'owner')).toBe(false);
    expect(costRecordMatches({ team: 'search', model: 'gpt-4o' }, record, 'team')).toBe(false);
  });

  it('matches LLM usage on team, workflow and model, never on cloud billing columns', () => {
    const dims = { model: 'gpt-4o', workflow: 'support-bot', team: 'search' };
    expect(usageMatches({}, dims)).toBe(true);
    expect(usageMatches({ team: 'search', workflow: 'support-bot', model: 'gpt-4o' }, dims)).toBe(true);
    expect(usageMatches({ model: 'o4-mini' }, dims)).toBe(false);
    expect(usageMatches({ team: 'search', provider: 'aws' }, dims)).toBe(false);
  });
});

describe('budget input', () => {
  const issues = (value: unknown) => {
    const result = budgetInputSchema.safeParse(value);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('fills the defaults and writes the amount canonically', () => {
    expect(budgetInputSchema.parse({ name: ' GPU ', amount: '5000.50', period: 'monthly' })).toEqual({
      name: 'GPU',
      scope: {},
      amount: '5000.5',
      currency: 'USD',
      period: 'monthly',
      thresholds: [
        { percent: 50, on: 'actual' },
        { percent: 80, on: 'actual' },
        { percent: 100, on: 'actual' },
        { percent: 100, on: 'forecast' },
      ],
    });
  });

  it('names the field of each mistake', () => {
    const base = { name: 'x', amount: '10', period: 'daily' };
    expect(issues({ ...base, amount: '-5' })[0]).toMatch(/^amount: must be a decimal string/);
    expect(issues({ ...base, amount: 10 })[0]).toMatch(/^amount: /);
    expect(issues({ ...base, amount: 'abc' })).toEqual(['amount: must be a decimal string of the currency, e.g. "5000" or "1250.50"']);
    expect(issues({ ...base, period: { custom: { end: '2026-12-01' } } })).toEqual(['period: custom.start: must be a date, YYYY-MM-DD']);
    expect(issues({ ...base, amount: '0' })).toEqual(['amount: must be more than 0']);
    expect(issues({ ...base, currency: 'EUR' })).toEqual(["currency: only 'USD' is supported"]);
    expect(issues({ ...base, period: 'yearly' })[0]).toMatch(/^period: must be 'daily'/);
    expect(issues({ ...base, period: { custom: { start: '2026-11-10', end: '2026-11-10' } } })).toEqual([
      'period.custom.end: must be after start',
    ]);
    expect(issues({ ...base, period: { custom: { start: '2026-11-31', end: '2026-12-10' } } })).toEqual([
      'period.custom.start: must be a date, YYYY-MM-DD',
    ]);
    expect(issues({ ...base, scope: { provider: 'ibm' } })).toEqual(["scope.provider: must be 'aws', 'azure' or 'gcp'"]);
    expect(issues({ ...base, scope: { teams: 'a' } })[0]).toMatch(/^scope: Unrecognized key/);
    expect(issues({ ...base, scope: { provider: 'aws', model: 'gpt-4o' } })[0]).toMatch(/^scope.model: cannot be combined with provider/);
    expect(
      issues({
        ...base,
        thresholds: [
          { percent: 80, on: 'actual' },
          { percent: 80, on: 'actual' },
        ],
      }),
    ).toEqual(['thresholds.1: repeats 80% on actual']);
    expect(issues({ ...base, thresholds: [{ percent: 0, on: 'actual' }] })).toEqual(['thresholds.0.percent: must be more than 0']);
    expect(issues({ ...base, thresholds: [{ percent: 50, on: 'budgeted' }] })).toEqual(["thresholds.0.on: must be 'actual' or 'forecast'"]);
    expect(issues({ ...base, name: '' })).toEqual(['name: must not be empty']);
  });

  it('steps days across month ends', () => {
    expect(addDays('2026-10-31', 1)).toBe('2026-11-01');
    expect(addDays('2026-11-18', -28)).toBe('2026-10-21');
  });
});
