import { randomUUID } from 'node:crypto';
import { budgetBreached, type BudgetStatusView } from '../../../events/analysis.js';
import type { EventPublisher } from '../../adapters/events.js';
import type { AlertClaims, BudgetList, BudgetRecords, CostRecords, UsageMinutes } from '../stores.js';
import { mapWithConcurrency } from '../../concurrency.js';
import type { LedgerConfig } from '../../config.js';
import {
  addDays,
  budgetBreaches,
  budgetFromInput,
  budgetPeriodAt,
  budgetStatusView,
  computeBudgetStatus,
  costRecordMatches,
  dayStartMs,
  LATE_COST_DAYS,
  scopeSources,
  settlingPeriods,
  spendDaysFor,
  usageMatches,
  type Budget,
  type BudgetInput,
  type BudgetStatus,
  type PeriodSpan,
  type ThresholdKind,
} from '../../domain/budgets/budgets.js';
import { DAY_MS, dayOf } from '../../domain/core/utc-time.js';
import { parseDecimal, type Decimal } from '../../domain/core/money.js';
import { notFound } from '../../errors.js';
import { logger } from '../../logger.js';
import { raiseOnce } from '../notify/raise-once.js';

/**
 * The budget service: CRUD for the API, the status of one budget for `GET /v1/budgets/{id}/status`, and the
 * analysis step that evaluates every budget and raises each crossed threshold once per period.
 */
/** Days read at once; each day is one query stream on the cost day index and one on the usage day partition. */
const READ_CONCURRENCY = 4;

export type BudgetCrudStore = BudgetRecords;

export interface BudgetSpendDependencies {
  costs: CostRecords;
  usage: UsageMinutes;
  config: Pick<LedgerConfig, 'LEDGER_TEAM_TAG'>;
}

export interface BudgetEvaluationDependencies extends BudgetSpendDependencies {
  budgets: BudgetList;
  alerts: AlertClaims;
  events: EventPublisher;
}

// ---------------------------------------------------------------------------------------------- CRUD

export async function createBudget(store: Pick<BudgetCrudStore, 'createBudget'>, input: BudgetInput, nowMs: number): Promise<Budget> {
  const at = new Date(nowMs).toISOString();
  const budget = budgetFromInput(randomUUID(), input, at, at);
  if (!(await store.createBudget(budget))) throw new Error(`budget id ${budget.id} was taken`);
  return budget;
}

export async function listBudgets(store: Pick<BudgetCrudStore, 'listBudgets'>): Promise<{ budgets: Budget[] }> {
  const budgets = await store.listBudgets();
  return { budgets: budgets.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)) };
}

export async function getBudget(store: Pick<BudgetCrudStore, 'getBudget'>, id: string): Promise<Budget> {
  const budget = await store.getBudget(id);
  if (!budget) throw notFound(`id: no budget '${id}'`);
  return budget;
}

/** Replaces the budget's settings; its id and createdAt stay. Breaches already raised in the period are not raised again. */
export async function replaceBudget(
  store: Pick<BudgetCrudStore, 'getBudget' | 'replaceBudget'>,
  id: string,
  input: BudgetInput,
  nowMs: number,
): Promise<Budget> {
  const current = await getBudget(store, id);
  const budget = budgetFromInput(id, input, current.createdAt, new Date(nowMs).toISOString());
  if (!(await store.replaceBudget(budget))) throw notFound(`id: no budget '${id}'`);
  return budget;
}

export async function deleteBudget(store: Pick<BudgetCrudStore, 'deleteBudget'>, id: string): Promise<void> {
  if (!(await store.deleteBudget(id))) throw notFound(`id: no budget '${id}'`);
}

// ---------------------------------------------------------------------------------------------- spend

/** Spend per budget and day, read so that each day's cost records and usage minutes are read once for all budgets. */
class DailySpend {
  private readonly byBudget = new Map<string, Map<string, Decimal>>();

  add(budgetId: string, day: string, amount: Decimal): void {
    let days = this.byBudget.get(budgetId);
    if (!days) this.byBudget.set(budgetId, (days = new Map()));
    days.set(day, (days.get(day) ?? 0n) + amount);
  }

  of(budgetId: string): (day: string) => Decimal {
    const days = this.byBudget.get(budgetId);
    return (day) => days?.get(day) ?? 0n;
  }
}

interface SpendNeed {
  budget: Budget;
  days: readonly string[];
}

/** Which budgets need which day, per source. */
function budgetsByDay(needs: readonly SpendNeed[], source: 'costs' | 'usage'): Map<string, Budget[]> {
  const out = new Map<string, Budget[]>();
  for (const { budget, days } of needs) {
    if (!scopeSources(budget.scope)[source]) continue;
    for (const day of days) {
      const list = out.get(day);
      if (list) list.push(budget);
      else out.set(day, [budget]);
    }
  }
  return out;
}

async function readDailySpend(deps: BudgetSpendDependencies, needs: readonly SpendNeed[]): Promise<DailySpend> {
  const spend = new DailySpend();
  const teamTag = deps.config.LEDGER_TEAM_TAG;
  const costDays = budgetsByDay(needs, 'costs');
  await mapWithConcurrency([...costDays.keys()], READ_CONCURRENCY, async (day) => {
    const budgets = costDays.get(day)!;
    for await (const record of deps.costs.records({ from: day, to: addDays(day, 1) })) {
      for (const budget of budgets) {
        if (record.BillingCurrency === budget.currency && costRecordMatches(budget.scope, record, teamTag))
          spend.add(budget.id, day, parseDecimal(record.EffectiveCost));
      }
    }
  });
  const usageDays = budgetsByDay(needs, 'usage');
  await mapWithConcurrency([...usageDays.keys()], READ_CONCURRENCY, async (day) => {
    const budgets = usageDays.get(day)!;
    const from = dayStartMs(day);
    // Usage is priced in USD at ingest; unpriced requests have no cost to count.
    for (const minute of await deps.usage.usageMinutes({ from, to: from + DAY_MS })) {
      for (const budget of budgets) {
        if (budget.currency === 'USD' && usageMatches(budget.scope, minute.dims)) spend.add(budget.id, day, minute.totals.cost);
      }
    }
  });
  return spend;
}

// ---------------------------------------------------------------------------------------------- status

/** The status of the budget's current period at `nowMs` (for the status endpoint; publishes nothing). */
export async function budgetStatus(deps: BudgetSpendDependencies, budget: Budget, nowMs: number): Promise<BudgetStatusView> {
  const span = budgetPeriodAt(budget.period, nowMs);
  const spend = await readDailySpend(deps, [{ budget, days: spendDaysFor(span, nowMs) }]);
  return budgetStatusView(budget, computeBudgetStatus(budget, span, spend.of(budget.id), nowMs));
}

interface PeriodCheck {
  span: PeriodSpan;
  /** Which kinds of thresholds may raise: a period that is over has no forecast left to warn about. */
  kinds: readonly ThresholdKind[];
}

/** The periods an analysis run checks: the current one, and recent ones that late bills may still push over. */
function periodChecks(budget: Budget, nowMs: number): { current: PeriodCheck; settling: PeriodCheck[] } | null {
  const today = dayOf(nowMs);
  const span = budgetPeriodAt(budget.period, nowMs);
  const ended = span.end <= today;
  // A custom period over for longer than bills arrive late is final: no need to read it every run.
  if (ended && span.end <= addDays(today, -LATE_COST_DAYS)) return null;
  return {
    current: { span, kinds: ended ? ['actual'] : ['actual', 'forecast'] },
    settling: settlingPeriods(budget.period, nowMs).map((s) => ({ span: s, kinds: ['actual'] as const })),
  };
}

/**
 * Evaluates every budget at `nowMs`: reads the daily spend it needs (each day once for all budgets), computes
 * the current period's status, and raises `budget.breached` once per crossed threshold per period (the alert
 * claim decides "once"; a failed publish releases its claims so the next run raises them again). Periods that
 * ended in the last LATE_COST_DAYS days are checked again on actual spend, since bills arrive late.
 * Returns the current status of every budget, except custom periods that ended before that. Throws after all
 * budgets were evaluated when some breaches could not be published.
 */
export async function evaluateBudgets(deps: BudgetEvaluationDependencies, nowMs: number): Promise<BudgetStatusView[]> {
  const { planned, spend } = await planAndRead(deps, nowMs, true);

  const views: BudgetStatusView[] = [];
  const failures: { budgetId: string; error: unknown }[] = [];
  for (const { budget, checks } of planned) {
    const spendOn = spend.of(budget.id);
    for (const check of [checks.current, ...checks.settling]) {
      const status = computeBudgetStatus(budget, check.span, spendOn, nowMs);
      if (check === checks.current) views.push(budgetStatusView(budget, status));
      try {
        await raiseBreaches(deps, budget, status, check.kinds, nowMs);
      } catch (error) {
        failures.push({ budgetId: budget.id, error });
      }
    }
  }
  if (failures.length) {
    logger.error('budget breaches not published', { budgets: failures.map((f) => f.budgetId), error: failures[0]!.error as Error });
    throw new Error(`budget breaches of ${failures.map((f) => f.budgetId).join(', ')} could not be published; the next run raises them`, {
      cause: failures[0]!.error,
    });
  }
  return views;
}

/**
 * The current status of every budget that `evaluateBudgets` evaluates, from one read of each day for all of them;
 * publishes nothing (for the digest).
 */
export async function budgetStatuses(deps: BudgetSpendDependencies & { budgets: BudgetList }, nowMs: number): Promise<BudgetStatusView[]> {
  const { planned, spend } = await planAndRead(deps, nowMs, false);
  return planned.map(({ budget, checks }) =>
    budgetStatusView(budget, computeBudgetStatus(budget, checks.current.span, spend.of(budget.id), nowMs)),
  );
}

type PlannedBudget = { budget: Budget; checks: NonNullable<ReturnType<typeof periodChecks>> };

/** The budgets to evaluate and the spend their periods need (with the settling periods' days when asked). */
async function planAndRead(
  deps: BudgetSpendDependencies & { budgets: BudgetList },
  nowMs: number,
  settling: boolean,
): Promise<{ planned: PlannedBudget[]; spend: DailySpend }> {
  const planned = (await deps.budgets.listBudgets())
    .map((budget) => ({ budget, checks: periodChecks(budget, nowMs) }))
    .filter((p): p is PlannedBudget => p.checks !== null)
    .sort((a, b) => a.budget.name.localeCompare(b.budget.name) || a.budget.id.localeCompare(b.budget.id));
  const needs = planned.map(({ budget, checks }) => ({
    budget,
    days: [...new Set([checks.current, ...(settling ? checks.settling : [])].flatMap((c) => spendDaysFor(c.span, nowMs)))],
  }));
  return { planned, spend: await readDailySpend(deps, needs) };
}

/** Raises each crossed threshold once per period. */
async function raiseBreaches(
  deps: Pick<BudgetEvaluationDependencies, 'alerts' | 'events'>,
  budget: Budget,
  status: BudgetStatus,
  kinds: readonly ThresholdKind[],
  nowMs: number,
): Promise<void> {
  const view = budgetStatusView(budget, status);
  const at = new Date(nowMs).toISOString();
  const alerts = budgetBreaches(budget.id, status, kinds).map((breach) => ({
    alertKey: breach.alertKey,
    event: budgetBreached.create({ ...view, alertKey: breach.alertKey, kind: breach.kind, thresholdPercent: breach.percent, at }),
  }));
  await raiseOnce(deps, alerts, nowMs);
}
