import { randomUUID } from 'node:crypto';
import type { CounterScope, DynamoExecutionBudgetStore } from '../../adapters/dynamo/execution-budget-store.js';
import {
  budgetAmountsView,
  budgetRemainingView,
  budgetWindowAt,
  budgetWindowView,
  executionBudgetView,
  remainingAmounts,
  reservationIdFor,
  reservationTtlMs,
  sameReserveRequest,
  type ExecutionBudget,
  type ExecutionBudgetDefinition,
  type ExecutionBudgetStatusView,
  type ExecutionBudgetView,
  type ExecutionReservation,
  type ReserveRequest,
  type ReserveResult,
  type SettleRequest,
  type SettleResult,
} from '../../domain/budgets/execution-budgets.js';
import { badRequest, conflict, LedgerError, notFound } from '../../errors.js';

/**
 * The execution-budget operations behind `/v1/execution-budgets`: they find the budget, pick the counter (the
 * window containing `nowMs`, and the conversation for budgets that count per conversation), let the store do
 * the atomic part, and word the answers and the client's mistakes.
 */
export type ExecutionBudgetStore = Pick<
  DynamoExecutionBudgetStore,
  'createBudget' | 'getBudget' | 'listBudgets' | 'replaceBudget' | 'deleteBudget' | 'readCounter' | 'releaseExpired' | 'reserve' | 'settle'
>;

const contended = () =>
  new LedgerError(
    503,
    'contended',
    'the execution budget is too busy right now; retry with the same requestId (it is counted once)',
    undefined,
    {
      'retry-after': '1',
    },
  );

async function budgetOrNotFound(store: Pick<ExecutionBudgetStore, 'getBudget'>, id: string): Promise<ExecutionBudget> {
  const budget = await store.getBudget(id);
  if (!budget) throw notFound(`id: no execution budget '${id}'`);
  return budget;
}

function scopeOf(reservation: ExecutionReservation): CounterScope {
  return { budgetId: reservation.budgetId, window: reservation.window, conversationId: reservation.conversationId };
}

export async function createExecutionBudget(
  store: Pick<ExecutionBudgetStore, 'createBudget'>,
  definition: ExecutionBudgetDefinition,
  nowMs: number,
): Promise<ExecutionBudgetView> {
  const at = new Date(nowMs).toISOString();
  const budget: ExecutionBudget = { ...definition, id: randomUUID(), createdAt: at, updatedAt: at };
  await store.createBudget(budget);
  return executionBudgetView(budget);
}

/** All budgets, oldest first; `workflow` and `agent` keep those that apply to them. */
export async function listExecutionBudgets(
  store: Pick<ExecutionBudgetStore, 'listBudgets'>,
  filter: { workflow?: string | undefined; agent?: string | undefined } = {},
): Promise<{ budgets: ExecutionBudgetView[] }> {
  const budgets = (await store.listBudgets()).filter(
    (b) =>
      (filter.workflow === undefined || b.appliesTo.workflow === filter.workflow) &&
      (filter.agent === undefined || b.appliesTo.agent === filter.agent),
  );
  return { budgets: budgets.map(executionBudgetView) };
}

/** Replaces the definition; the current window's counters stay, and the new ceilings apply from the next reserve. */
export async function replaceExecutionBudget(
  store: Pick<ExecutionBudgetStore, 'replaceBudget'>,
  id: string,
  definition: ExecutionBudgetDefinition,
  nowMs: number,
): Promise<ExecutionBudgetView> {
  const budget = await store.replaceBudget(id, definition, new Date(nowMs).toISOString());
  if (!budget) throw notFound(`id: no execution budget '${id}'`);
  return executionBudgetView(budget);
}

export async function deleteExecutionBudget(store: Pick<ExecutionBudgetStore, 'deleteBudget'>, id: string): Promise<void> {
  if (!(await store.deleteBudget(id))) throw notFound(`id: no execution budget '${id}'`);
}

/**
 * The definition and the current window's reserved, used and remaining amounts. Expired reservations of that
 * counter are released first, so the answer never counts them.
 */
export async function executionBudgetStatus(
  store: Pick<ExecutionBudgetStore, 'getBudget' | 'releaseExpired' | 'readCounter'>,
  id: string,
  conversationId: string | undefined,
  nowMs: number,
): Promise<ExecutionBudgetStatusView> {
  const budget = await budgetOrNotFound(store, id);
  const view = executionBudgetView(budget);
  if (budget.per === 'conversation' && conversationId === undefined) return { ...view, current: null };
  const scope: CounterScope = {
    budgetId: id,
    window: budgetWindowAt(budget.window, nowMs),
    conversationId: budget.per === 'conversation' ? conversationId! : null,
  };
  await store.releaseExpired(scope, nowMs);
  const counter = await store.readCounter(scope);
  return {
    ...view,
    current: {
      window: budgetWindowView(scope.window),
      conversationId: scope.conversationId,
      reserved: budgetAmountsView(counter.reserved),
      used: budgetAmountsView(counter.used),
      remaining: budgetRemainingView(remainingAmounts(budget.ceilings, counter)),
    },
  };
}

/**
 * Reserves the estimate on the budget's current counter if it fits under every ceiling. A deny is an answer,
 * not an error. The same requestId answers the same reservation again (counted once); reused for a different
 * estimate or conversation it is a 409.
 */
export async function reserveExecutionBudget(
  store: Pick<ExecutionBudgetStore, 'getBudget' | 'releaseExpired' | 'reserve' | 'readCounter'>,
  id: string,
  request: ReserveRequest,
  options: { nowMs: number; defaultTtlSeconds: number },
): Promise<ReserveResult> {
  const budget = await budgetOrNotFound(store, id);
  if (budget.per === 'conversation' && request.conversationId === undefined) {
    throw badRequest('conversationId: required, because this execution budget counts per conversation (gen_ai.conversation.id)');
  }
  const { nowMs } = options;
  const scope: CounterScope = {
    budgetId: id,
    window: budgetWindowAt(budget.window, nowMs),
    conversationId: budget.per === 'conversation' ? request.conversationId! : null,
  };
  await store.releaseExpired(scope, nowMs);
  const outcome = await store.reserve(
    budget.ceilings,
    scope,
    {
      requestId: request.requestId,
      reservationId: reservationIdFor(id, request.requestId),
      estimate: request.estimate,
      conversationId: scope.conversationId,
      releaseAt: nowMs + reservationTtlMs(budget, options.defaultTtlSeconds),
    },
    nowMs,
  );
  switch (outcome.kind) {
    case 'contended':
      throw contended();
    case 'denied':
      return {
        decision: 'deny',
        reservationId: null,
        expiresAt: null,
        remaining: budgetRemainingView(remainingAmounts(budget.ceilings, outcome.counter)),
        deniedBy: outcome.deniedBy,
        replayed: false,
        status: null,
        window: budgetWindowView(scope.window),
        conversationId: scope.conversationId,
      };
    case 'existing':
    case 'allowed': {
      const reservation = outcome.reservation;
      // A retried reserve answers its reservation again, if it asks for the same thing.
      if (outcome.kind === 'existing' && !sameReserveRequest(reservation, request.estimate, scope.conversationId)) {
        throw conflict('requestId: already used on this execution budget for a different estimate or conversationId; use a new requestId');
      }
      const counter = await store.readCounter(scopeOf(reservation));
      return {
        decision: 'allow',
        reservationId: reservation.reservationId,
        expiresAt: new Date(reservation.releaseAt).toISOString(),
        remaining: budgetRemainingView(remainingAmounts(budget.ceilings, counter)),
        deniedBy: [],
        replayed: outcome.kind === 'existing',
        status: reservation.status,
        window: budgetWindowView(reservation.window),
        conversationId: reservation.conversationId,
      };
    }
  }
}

/**
 * Records what a reserved step really used. A repeated settle with the same actual answers the same settlement and
 * changes nothing; with a different actual it is a 409. A reservation that expired (and was released) is still
 * settled: its actual is recorded as used.
 */
export async function settleExecutionBudget(
  store: Pick<ExecutionBudgetStore, 'getBudget' | 'settle' | 'readCounter'>,
  id: string,
  request: SettleRequest,
  nowMs: number,
): Promise<SettleResult> {
  const budget = await budgetOrNotFound(store, id);
  const outcome = await store.settle(id, request.reservationId, request.actual, nowMs);
  switch (outcome.kind) {
    case 'not-found':
      throw notFound(`reservationId: no reservation '${request.reservationId}' on execution budget '${id}'`);
    case 'contended':
      throw contended();
    case 'settled-differently':
      throw conflict('actual: this reservation was settled before with a different actual', {
        actual: budgetAmountsView(outcome.reservation.actual!),
      });
    case 'settled': {
      const reservation = outcome.reservation;
      const counter = await store.readCounter(scopeOf(reservation));
      return {
        reservationId: reservation.reservationId,
        status: 'settled',
        estimate: budgetAmountsView(reservation.estimate),
        actual: budgetAmountsView(reservation.actual!),
        settledAt: new Date(reservation.settledAt!).toISOString(),
        releasedBeforeSettle: reservation.releasedAt !== null,
        window: budgetWindowView(reservation.window),
        conversationId: reservation.conversationId,
        remaining: budgetRemainingView(remainingAmounts(budget.ceilings, counter)),
      };
    }
  }
}
