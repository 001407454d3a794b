import { beforeAll, describe, expect, it } from 'vitest';
import type { BudgetStatusView } from '../../events/analysis.js';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoCostStore } from '../../shared/adapters/dynamo/cost-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo/usage-store.js';
import { LocalEventBus } from '../../shared/adapters/events.js';
import { budgetStatuses, createBudget, evaluateBudgets } from '../../shared/services/budgets/budgets.js';
import { addDays, budgetInputSchema } from '../../shared/domain/budgets/budgets.js';
import { useTestLedger } from '../support/ledger.js';
import { budgetTestTable, costOn, days, usageOn, type BudgetTestTable } from './spend.js';
import { dayOf } from '../../shared/domain/core/utc-time.js';

const at = (iso: string) => Date.parse(iso);

/** The status endpoint reads the clock: start away from midnight so that "today" is the same day throughout. */
async function awayFromMidnight(): Promise<void> {
  const toMidnight = 86_400_000 - (Date.now() % 86_400_000);
  if (toMidnight < 120_000) await new Promise((resolve) => setTimeout(resolve, toMidnight + 1_000));
}

describe('GET /v1/budgets/{id}/status', () => {
  const { ledger, api } = useTestLedger();
  let today: string;

  beforeAll(async () => {
    await awayFromMidnight();
    const db = createDocumentClient({ region: 'us-east-1', endpoint: ledger().dynamoEndpoint });
    const costs = new DynamoCostStore(db, ledger().tableName);
    const usage = new DynamoUsageStore(db, ledger().tableName);
    today = dayOf(Date.now());
    const history = days(addDays(today, -28), today);
    // Team search: 100 a day of EC2 (EffectiveCost; BilledCost is twice that, to show which one counts), 40 so far today.
    // Team ads: 1,000 a day, 540 so far today. A record in EUR that no USD budget counts.
    await costs.putRecords('seed', [
      ...history.map((d) => costOn(d, '100', { BilledCost: '200', Tags: { team: 'search' } })),
      costOn(today, '40', { BilledCost: '80', Tags: { team: 'search' } }),
      ...history.map((d) => costOn(d, '1000', { Tags: { team: 'ads' } })),
      costOn(today, '540', { Tags: { team: 'ads' } }),
      costOn(addDays(today, -1), '777', { BillingCurrency: 'EUR', Tags: { team: 'search' } }),
    ]);
    // LLM usage of team search in the support-bot workflow: 10 a day, 4 so far today; team ads: 50 a day.
    await usage.applyRollups('seed', [
      ...history.map((d) => usageOn(d, '10', { model: 'gpt-4o', workflow: 'support-bot', team: 'search' })),
      usageOn(today, '4', { model: 'gpt-4o', workflow: 'support-bot', team: 'search' }),
      ...history.map((d) => usageOn(d, '50', { model: 'claude-sonnet-4-5', workflow: 'ad-copy', team: 'ads' })),
    ]);
  });

  async function status(body: Record<string, unknown>): Promise<BudgetStatusView> {
    const created = await api('POST', '/v1/budgets', { body });
    expect(created.status).toBe(201);
    const response = await api('GET', `/v1/budgets/${created.body.id}/status`);
    expect(response.status).toBe(200);
    return response.body;
  }

  it("counts a team's tagged cloud costs and its priced LLM usage", async () => {
    // 110 a day (100 cost + 10 usage), 44 so far today, flat, so every day is predicted at 110.
    // Period: 5 days before today, today, 4 days after.
    // actual = 5 × 110 + 44 = 594; forecast = 594 + (110 − 44) + 4 × 110 = 1,100.
    const view = await status({
      name: 'Search',
      scope: { team: 'search' },
      amount: '1000',
      period: { custom: { start: addDays(today, -5), end: addDays(today, 5) } },
    });
    expect(view).toEqual({
      budgetId: expect.any(String),
      name: 'Search',
      scope: { team: 'search' },
      periodStart: addDays(today, -5),
      periodEnd: addDays(today, 5),
      amount: '1000',
      currency: 'USD',
      actual: '594',
      forecast: '1100',
      actualPercent: 59.4,
      forecastPercent: 110,
      crossed: { actual: [50], forecast: [100] },
      // 660 today, then 770, 880, 990 and 1,100 on the fourth day after: the amount runs out then;
      // (1,000 − 594) over the 4 days after today is 101.50 a day.
      runway: { exhaustedOn: addDays(today, 4), daysLeft: 4, dailySpendToStayWithin: '101.5' },
      team: 'search',
    });
  });

  it('counts only LLM usage for a workflow', async () => {
    // 10 a day, 4 so far today; period: 2 days before today and today. actual = 24; forecast = 24 + (10 − 4) = 30.
    const view = await status({
      name: 'Support bot',
      scope: { workflow: 'support-bot' },
      amount: '100',
      period: { custom: { start: addDays(today, -2), end: addDays(today, 1) } },
    });
    expect(view).toMatchObject({
      actual: '24',
      forecast: '30',
      actualPercent: 24,
      forecastPercent: 30,
      crossed: { actual: [], forecast: [] },
      team: null,
    });
  });

  it('counts only cloud costs in the currency for a provider and service', async () => {
    // 1,100 a day (both teams), 580 so far today, no usage, no EUR. Period: yesterday, today, tomorrow.
    // actual = 1,100 + 580 = 1,680; forecast = 1,680 + (1,100 − 580) + 1,100 = 3,300.
    const view = await status({
      name: 'EC2',
      scope: { provider: 'aws', service: 'Amazon Elastic Compute Cloud - Compute' },
      amount: '3000',
      period: { custom: { start: addDays(today, -1), end: addDays(today, 2) } },
      thresholds: [
        { percent: 55, on: 'actual' },
        { percent: 56, on: 'actual' },
        { percent: 110, on: 'forecast' },
      ],
    });
    expect(view).toMatchObject({
      actual: '1680',
      forecast: '3300',
      actualPercent: 56,
      forecastPercent: 110,
      crossed: { actual: [55, 56], forecast: [110] },
    });
  });

  it('reads nothing for a scope nothing matches', async () => {
    const view = await status({ name: 'Nobody', scope: { team: 'nobody' }, amount: '10', period: 'daily' });
    expect(view).toMatchObject({
      periodStart: today,
      periodEnd: addDays(today, 1),
      actual: '0',
      forecast: '0',
      actualPercent: 0,
      crossed: { actual: [], forecast: [] },
    });
  });
});

describe('evaluateBudgets', () => {
  let table: BudgetTestTable;
  beforeAll(async () => {
    table = await budgetTestTable();
  });

  const searchCost = (day: string, amount: string) => costOn(day, amount, { Tags: { team: 'search' } });
  const keys = (bus: LocalEventBus) => bus.published.map((e) => (e.detail as { alertKey: string }).alertKey);

  it('raises each crossed threshold once per period: forecast before actual, and again in a new period', async () => {
    const bus = new LocalEventBus();
    const budget = await createBudget(
      table.budgets,
      budgetInputSchema.parse({ name: 'Search', scope: { team: 'search' }, amount: '3000', period: 'monthly' }),
      at('2026-11-01T00:00:00Z'),
    );
    const key = (rest: string) => `budget:${budget.id}:${rest}`;
    // 21 October to 17 November: 100 a day; 18 November: 40 so far.
    await table.costs.putRecords('run-1', [
      ...days('2026-10-21', '2026-11-18').map((d) => searchCost(d, '100')),
      searchCost('2026-11-18', '40'),
    ]);

    // 18 November: actual = 17 × 100 + 40 = 1,740 (58%); forecast = 1,740 + 60 + 12 × 100 = 3,000 (100%).
    const first = await evaluateBudgets(table.deps(bus), at('2026-11-18T12:00:00Z'));
    expect(first).toEqual([
      expect.objectContaining({
        budgetId: budget.id,
        periodStart: '2026-11-01',
        periodEnd: '2026-12-01',
        actual: '1740',
        forecast: '3000',
        actualPercent: 58,
        forecastPercent: 100,
        crossed: { actual: [50], forecast: [100] },
      }),
    ]);
    expect(keys(bus)).toEqual([key('2026-11-01:actual:50'), key('2026-11-01:forecast:100')]);
    expect(bus.published[1]).toEqual({
      name: 'budget.breached',
      detail: {
        ...first[0],
        alertKey: key('2026-11-01:forecast:100'),
        kind: 'forecast',
        thresholdPercent: 100,
        at: '2026-11-18T12:00:00.000Z',
      },
    });

    // An hour later, nothing new crossed: nothing raised. The digest's read of the same statuses raises nothing either.
    await evaluateBudgets(table.deps(bus), at('2026-11-18T13:00:00Z'));
    expect(await budgetStatuses(table.deps(bus), at('2026-11-18T12:00:00Z'))).toEqual(first);
    expect(bus.published).toHaveLength(2);

    // 30 November, 06:00: 29 × 100 + 20 = 2,920 (97.3%): 80% on actual is new; the forecast (3,000) was raised before.
    await table.costs.putRecords('run-2', [
      ...days('2026-11-18', '2026-11-30').map((d) => searchCost(d, '100')),
      searchCost('2026-11-30', '20'),
    ]);
    const late = await evaluateBudgets(table.deps(bus), at('2026-11-30T06:00:00Z'));
    expect(late[0]).toMatchObject({
      actual: '2920',
      forecast: '3000',
      actualPercent: 97.3,
      crossed: { actual: [50, 80], forecast: [100] },
    });
    expect(keys(bus).slice(2)).toEqual([key('2026-11-01:actual:80')]);

    // 07:00: the last day reaches 100: 3,000, the actual 100% breach, after the forecast one.
    await table.costs.putRecords('run-3', [searchCost('2026-11-30', '100')]);
    await evaluateBudgets(table.deps(bus), at('2026-11-30T07:00:00Z'));
    await evaluateBudgets(table.deps(bus), at('2026-11-30T08:00:00Z'));
    expect(keys(bus).slice(3)).toEqual([key('2026-11-01:actual:100')]);
    expect(keys(bus).indexOf(key('2026-11-01:forecast:100'))).toBeLessThan(keys(bus).indexOf(key('2026-11-01:actual:100')));

    // 1 December: a new period. 1,600 on the first day (53.3%); 100 a day predicted for the 30 days left: 4,600 (153.3%).
    // November, still settling, raises nothing again.
    await table.costs.putRecords('run-4', [searchCost('2026-12-01', '1600')]);
    const december = await evaluateBudgets(table.deps(bus), at('2026-12-01T12:00:00Z'));
    expect(december[0]).toMatchObject({
      periodStart: '2026-12-01',
      periodEnd: '2027-01-01',
      actual: '1600',
      forecast: '4600',
      actualPercent: 53.3,
      forecastPercent: 153.3,
    });
    expect(keys(bus).slice(4)).toEqual([key('2026-12-01:actual:50'), key('2026-12-01:forecast:100')]);
    expect(bus.published).toHaveLength(6);
  });

  it("raises a daily budget's breach when its day's bill arrives the next morning", async () => {
    const late = await budgetTestTable();
    const bus = new LocalEventBus();
    const budget = await createBudget(
      late.budgets,
      budgetInputSchema.parse({
        name: 'Ads daily',
        scope: { team: 'ads' },
        amount: '100',
        period: 'daily',
        thresholds: [{ percent: 100, on: 'actual' }],
      }),
      at('2026-11-01T00:00:00Z'),
    );
    await evaluateBudgets(late.deps(bus), at('2026-11-19T01:00:00Z'));
    expect(bus.published).toHaveLength(0);
    await late.costs.putRecords('late', [costOn('2026-11-18', '150', { Tags: { team: 'ads' } })]);
    const views = await evaluateBudgets(late.deps(bus), at('2026-11-19T02:00:00Z'));
    // The status is today's period; the breach is the 18th's.
    expect(views[0]).toMatchObject({ periodStart: '2026-11-19', actual: '0' });
    expect(keys(bus)).toEqual([`budget:${budget.id}:2026-11-18:actual:100`]);
    expect(bus.published[0]!.detail).toMatchObject({
      periodStart: '2026-11-18',
      periodEnd: '2026-11-19',
      actual: '150',
      actualPercent: 150,
    });
  });

  it('releases the claims when the publish fails, so the next run raises the breach', async () => {
    const failing = await budgetTestTable();
    const budget = await createBudget(
      failing.budgets,
      budgetInputSchema.parse({ name: 'Search', scope: { team: 'search' }, amount: '100', period: 'daily' }),
      at('2026-11-01T00:00:00Z'),
    );
    await failing.costs.putRecords('run', [costOn('2026-11-18', '60', { Tags: { team: 'search' } })]);

    const down = new LocalEventBus();
    down.subscribe(() => {
      throw new Error('bus unavailable');
    });
    await expect(evaluateBudgets(failing.deps(down), at('2026-11-18T12:00:00Z'))).rejects.toThrow(
      `budget breaches of ${budget.id} could not be published`,
    );

    const bus = new LocalEventBus();
    await evaluateBudgets(failing.deps(bus), at('2026-11-18T13:00:00Z'));
    await evaluateBudgets(failing.deps(bus), at('2026-11-18T14:00:00Z'));
    expect(keys(bus)).toEqual([`budget:${budget.id}:2026-11-18:actual:50`]);
  });
});
