import { DynamoAlertStore } from '../../shared/adapters/dynamo/alert-store.js';
import { DynamoBudgetStore } from '../../shared/adapters/dynamo/budget-store.js';
import { DynamoCostStore } from '../../shared/adapters/dynamo/cost-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo/usage-store.js';
import { LocalEventBus } from '../../shared/adapters/events.js';
import type { BudgetEvaluationDependencies } from '../../shared/services/budgets/budgets.js';
import { addDays, dayStartMs } from '../../shared/domain/budgets/budgets.js';
import { keyedFocusRecord, type FocusRecord, type KeyedFocusRecord } from '../../shared/domain/costs/focus.js';
import { parseDecimal } from '../../shared/domain/core/money.js';
import { emptyTotals, type UsageDimensions, type UsageMinute } from '../../shared/domain/usage/usage-rollup.js';
import { focusRecord } from '../support/focus.js';
import { startTestTable } from '../support/ledger.js';

/** Seeds for budget tests: a day's FOCUS cost record and a day's priced LLM usage, written through the real stores. */
export function costOn(day: string, effectiveCost: string, overrides: Partial<FocusRecord> = {}): KeyedFocusRecord {
  return keyedFocusRecord(
    'aws',
    focusRecord({
      ChargePeriodStart: `${day}T00:00:00Z`,
      ChargePeriodEnd: `${addDays(day, 1)}T00:00:00Z`,
      BilledCost: effectiveCost,
      EffectiveCost: effectiveCost,
      ListCost: effectiveCost,
      ...overrides,
    }),
  );
}

/** One usage minute (at 10:00 UTC of the day) with this priced cost in USD. */
export function usageOn(day: string, cost: string, dims: UsageDimensions): UsageMinute {
  return {
    minute: dayStartMs(day) + 10 * 3_600_000,
    dims,
    totals: { ...emptyTotals(), requests: 1, inputTokens: 1000, cost: parseDecimal(cost) },
  };
}

/** The days [from, to). */
export function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let day = from; day < to; day = addDays(day, 1)) out.push(day);
  return out;
}

export interface BudgetTestTable {
  tableName: string;
  budgets: DynamoBudgetStore;
  costs: DynamoCostStore;
  usage: DynamoUsageStore;
  alerts: DynamoAlertStore;
  /** The dependencies of evaluateBudgets, with the given bus. */
  deps(events: LocalEventBus): BudgetEvaluationDependencies;
}

/** A table of its own in the run's DynamoDB Local (evaluateBudgets reads every budget of its table). */
export async function budgetTestTable(): Promise<BudgetTestTable> {
  const { db, tableName } = await startTestTable({ prefix: 'budgets' });
  const stores = {
    budgets: new DynamoBudgetStore(db, tableName),
    costs: new DynamoCostStore(db, tableName),
    usage: new DynamoUsageStore(db, tableName),
    alerts: new DynamoAlertStore(db, tableName),
  };
  return { tableName, ...stores, deps: (events) => ({ ...stores, events, config: { LEDGER_TEAM_TAG: 'team' } }) };
}
