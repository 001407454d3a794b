import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  budgetDimensions,
  deniedDimensions,
  EMPTY_COUNTER,
  executionBudgetInputOf,
  executionBudgetInputSchema,
  reservationRooms,
  sameAmounts,
  subtractAmounts,
  ZERO_AMOUNTS,
  type BudgetAmounts,
  type BudgetCounter,
  type BudgetDimension,
  type BudgetWindow,
  type ExecutionBudget,
  type ExecutionBudgetDefinition,
  type ExecutionReservation,
  type ReservationStatus,
} from '../../domain/budgets/execution-budgets.js';
import { isConditionalCheckFailure } from './client.js';
import { queryAll } from './query.js';
import { ledgerKeys } from './table.js';

/**
 * Execution budgets in the single table: definitions, one counter item per (budget, window, conversation), and
 * one item per reservation: `executionBudget`, `executionBudgetByCreation` (gsi1), `executionBudgetCounter`,
 * `executionBudgetReservation` and `openReservationByExpiry` (gsi1, set only while open) in `table.ts`.
 *
 * Amounts are DynamoDB numbers holding bigints: cost in pico-dollars (10^-12 USD, the `Decimal` of money.ts),
 * the rest whole counts. DynamoDB numbers keep 38 digits and the document client writes bigints as exact
 * number strings and reads large ones back as bigints, so no amount ever passes through a float.
 *
 * A counter keeps, per dimension, `reserved_<d>` (held by open reservations), `used_<d>` (settled actuals) and
 * `committed_<d>` = reserved + used: a condition expression cannot add two attributes, so the sum that the
 * ceiling limits is kept as its own attribute and every write moves all three together.
 *
 * Reserve is one TransactWriteItems: an Update of the counter that adds the estimate, conditioned on every
 * ceiling (`attribute_not_exists(committed_d) OR committed_d <= :room_d`, room = ceiling − estimate), and a Put
 * of the reservation conditioned on its not existing. Either both happen or neither: concurrent reservations
 * can never together overshoot a ceiling, and a retried reserve (same requestId, hence same reservation id)
 * finds its reservation instead of reserving twice. A deny writes nothing.
 *
 * Expiry without a scheduler: an open reservation is listed in gsi1 under its counter, sorted by the time it
 * expires. Before each reserve on a counter, and before a status read of it, the caller releases the ones
 * whose time has passed (`releaseExpired`): each release is a transaction that moves the reservation from open
 * to expired (conditioned on its still being open) and takes its estimate out of `reserved`. So the only
 * readers for whom a stale reservation matters, the next reserve and the status, always see it released; a
 * counter nobody touches again keeps a stale `reserved`, which nobody reads. The release's condition makes a
 * concurrent settle and release agree on one outcome. The reservation's own expiry is `releaseAtMs`; the
 * table's TTL attribute (`expiresAt`) only removes old items: on an open reservation it is set past the end of
 * its window (never on a lifetime one), when its counter no longer matters, since DynamoDB deleting an open
 * reservation of a live counter would leave its estimate held for good; on a settled or expired one it is set
 * from the time it was closed.
 */

const COUNTER_RETENTION_DAYS = 400;
/** Reservations are kept this long after they close (or their window ends), for replays of reserve and late settles. */
const RESERVATION_RETENTION_DAYS = 35;
/** Transactions on one hot counter conflict with each other; each conflict is retried after a random pause. */
const MAX_ATTEMPTS = 60;

type Item = Record<string, unknown>;

export interface CounterScope {
  budgetId: string;
  window: BudgetWindow;
  /** Set for budgets that count per conversation. */
  conversationId: string | null;
}

export interface NewReservation {
  requestId: string;
  reservationId: string;
  estimate: BudgetAmounts;
  conversationId: string | null;
  releaseAt: number;
}

export type ReserveOutcome =
  | { kind: 'allowed'; reservation: ExecutionReservation }
  | { kind: 'denied'; deniedBy: BudgetDimension[]; counter: BudgetCounter }
  /** This reservation id exists already: a retried reserve (or a requestId reused; the caller compares). */
  | { kind: 'existing'; reservation: ExecutionReservation }
  | { kind: 'contended' };

export type SettleOutcome =
  | { kind: 'settled'; reservation: ExecutionReservation; replayed: boolean }
  /** Settled before with a different actual. */
  | { kind: 'settled-differently'; reservation: ExecutionReservation }
  | { kind: 'not-found' }
  | { kind: 'contended' };

const budgetKey = ledgerKeys.executionBudget.key;
const counterKey = ledgerKeys.executionBudgetCounter.key;
const reservationKey = ledgerKeys.executionBudgetReservation.key;
const ttlSeconds = (ms: number, days: number) => Math.floor(ms / 1000) + days * 86_400;

const toBigInt = (value: unknown): bigint => (value === undefined || value === null ? 0n : BigInt(value as number | bigint));

function amountsFrom(map: unknown): BudgetAmounts {
  const source = (map ?? {}) as Record<string, unknown>;
  return {
    cost: toBigInt(source.cost),
    tokens: toBigInt(source.tokens),
    modelCalls: toBigInt(source.modelCalls),
    retries: toBigInt(source.retries),
  };
}

function counterFrom(item: Item | undefined): BudgetCounter {
  if (!item) return EMPTY_COUNTER;
  const reserved = { ...ZERO_AMOUNTS };
  const used = { ...ZERO_AMOUNTS };
  for (const d of budgetDimensions) {
    reserved[d] = toBigInt(item[`reserved_${d}`]);
    used[d] = toBigInt(item[`used_${d}`]);
  }
  return { reserved, used };
}

function reservationFrom(item: Item): ExecutionReservation {
  return {
    reservationId: item.reservationId as string,
    budgetId: item.budgetId as string,
    requestId: item.requestId as string,
    conversationId: (item.conversationId as string | undefined) ?? null,
    window: {
      kind: item.windowKind as BudgetWindow['kind'],
      start: Number(item.windowStart),
      end: item.windowEnd === undefined ? null : Number(item.windowEnd),
    },
    estimate: amountsFrom(item.estimate),
    status: item.status as ReservationStatus,
    createdAt: Number(item.createdAtMs),
    releaseAt: Number(item.releaseAtMs),
    actual: item.actual === undefined ? null : amountsFrom(item.actual),
    settledAt: item.settledAtMs === undefined ? null : Number(item.settledAtMs),
    releasedAt: item.releasedAtMs === undefined ? null : Number(item.releasedAtMs),
  };
}

function scopeOf(reservation: ExecutionReservation): CounterScope {
  return { budgetId: reservation.budgetId, window: reservation.window, conversationId: reservation.conversationId };
}

/**
 * `ADD reserved_d :r_d, used_d :u_d, committed_d :c_d` for every dimension where the delta is not zero. `names`
 * and `values` collect the placeholders.
 */
function counterDeltas(
  deltas: { reserved?: BudgetAmounts; used?: BudgetAmounts },
  names: Record<string, string>,
  values: Record<string, unknown>,
): string[] {
  const adds: string[] = [];
  for (const d of budgetDimensions) {
    const reserved = deltas.reserved?.[d] ?? 0n;
    const used = deltas.used?.[d] ?? 0n;
    const parts: Array<[string, bigint]> = [
      ['reserved', reserved],
      ['used', used],
      ['committed', reserved + used],
    ];
    for (const [attribute, delta] of parts) {
      if (delta === 0n) continue;
      names[`#${attribute}_${d}`] = `${attribute}_${d}`;
      values[`:${attribute}_${d}`] = delta;
      adds.push(`#${attribute}_${d} :${attribute}_${d}`);
    }
  }
  return adds;
}

/** The counter update of a transaction: deltas, plus the bookkeeping attributes; `condition` optional. */
function counterUpdate(
  tableName: string,
  scope: CounterScope,
  deltas: { reserved?: BudgetAmounts; used?: BudgetAmounts },
  condition?: { expression: string; names: Record<string, string>; values: Record<string, unknown> },
) {
  const names: Record<string, string> = { ...condition?.names };
  const values: Record<string, unknown> = { ...condition?.values, ':budgetId': scope.budgetId, ':windowStart': scope.window.start };
  const adds = counterDeltas(deltas, names, values);
  let set = 'budgetId = :budgetId, windowStart = :windowStart';
  if (scope.window.end !== null) {
    values[':ttl'] = ttlSeconds(scope.window.end, COUNTER_RETENTION_DAYS);
    set += ', expiresAt = :ttl';
  }
  return {
    Update: {
      TableName: tableName,
      Key: counterKey(scope),
      UpdateExpression: `SET ${set}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
      ...(condition ? { ConditionExpression: condition.expression } : {}),
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    },
  };
}

type Cancellation = 'none' | 'condition' | 'conflict';

/** Why a transaction was cancelled, per item in request order; null when the error is not a cancellation. */
function cancellationReasons(error: unknown): Cancellation[] | null {
  const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> } | null;
  if (e?.name !== 'TransactionCanceledException') return null;
  return (e.CancellationReasons ?? []).map((reason) =>
    reason.Code === 'ConditionalCheckFailed' ? 'condition' : reason.Code === 'None' || reason.Code === undefined ? 'none' : 'conflict',
  );
}

/** Pause before retrying a conflicting transaction: random, growing to 100 ms. */
function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 4 * 2 ** Math.min(attempt, 5))));
}

export class DynamoExecutionBudgetStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  // -- definitions ------------------------------------------------------------------------------------------

  /** Writes a new budget; its id must be fresh. */
  async createBudget(budget: ExecutionBudget): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...budgetKey(budget.id),
          ...ledgerKeys.executionBudgetByCreation.key(budget.createdAt, budget.id),
          budgetId: budget.id,
          definition: JSON.stringify(executionBudgetInputOf(budget)),
          createdAt: budget.createdAt,
          updatedAt: budget.updatedAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getBudget(id: string): Promise<ExecutionBudget | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: budgetKey(id), ConsistentRead: true }));
    return out.Item ? budgetFrom(out.Item) : null;
  }

  async listBudgets(): Promise<ExecutionBudget[]> {
    const budgets: ExecutionBudget[] = [];
    for await (const item of queryAll(this.db, {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': ledgerKeys.executionBudgetByCreation.pk },
    })) {
      budgets.push(budgetFrom(item));
    }
    return budgets;
  }

  /** Replaces the definition of an existing budget; null when there is none. Counters are kept. */
  async replaceBudget(id: string, definition: ExecutionBudgetDefinition, updatedAt: string): Promise<ExecutionBudget | null> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: budgetKey(id),
          UpdateExpression: 'SET #definition = :definition, updatedAt = :updatedAt',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#definition': 'definition' },
          ExpressionAttributeValues: { ':definition': JSON.stringify(executionBudgetInputOf(definition)), ':updatedAt': updatedAt },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return budgetFrom(out.Attributes!);
    } catch (error) {
      if (isConditionalCheckFailure(error)) return null;
      throw error;
    }
  }

  /** False when there was no such budget. Its counters and reservations expire through their TTLs. */
  async deleteBudget(id: string): Promise<boolean> {
    try {
      await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: budgetKey(id), ConditionExpression: 'attribute_exists(pk)' }));
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  // -- counters and reservations ----------------------------------------------------------------------------

  async readCounter(scope: CounterScope): Promise<BudgetCounter> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: counterKey(scope), ConsistentRead: true }));
    return counterFrom(out.Item);
  }

  async getReservation(reservationId: string): Promise<ExecutionReservation | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: reservationKey(reservationId), ConsistentRead: true }));
    return out.Item ? reservationFrom(out.Item) : null;
  }

  /**
   * Releases the counter's open reservations whose expiry has passed (see the module comment); answers how many
   * this call released. One that a concurrent settle or release got to first is left alone.
   */
  async releaseExpired(scope: CounterScope, nowMs: number): Promise<number> {
    let released = 0;
    const expired = queryAll(this.db, {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :bound',
      // Keys are `<releaseAtMs>#<id>`, so everything below the next millisecond expired at or before now.
      ExpressionAttributeValues: {
        ':pk': ledgerKeys.openReservationByExpiry.pk(scope),
        ':bound': ledgerKeys.openReservationByExpiry.expiredBy(nowMs),
      },
      ProjectionExpression: 'pk',
    });
    for await (const item of expired) {
      const reservationId = ledgerKeys.executionBudgetReservation.idOf(item.pk as string);
      if (await this.releaseOne(reservationId, nowMs)) released++;
    }
    return released;
  }

  private async releaseOne(reservationId: string, nowMs: number): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // The index is eventually consistent: read the reservation itself before moving anything.
      const reservation = await this.getReservation(reservationId);
      if (!reservation || reservation.status !== 'open' || reservation.releaseAt > nowMs) return false;
      try {
        await this.transact([
          {
            Update: {
              TableName: this.tableName,
              Key: reservationKey(reservationId),
              UpdateExpression: 'SET #status = :expired, releasedAtMs = :now, expiresAt = :ttl REMOVE gsi1pk, gsi1sk',
              ConditionExpression: '#status = :open',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':expired': 'expired',
                ':open': 'open',
                ':now': nowMs,
                ':ttl': ttlSeconds(nowMs, RESERVATION_RETENTION_DAYS),
              },
            },
          },
          counterUpdate(this.tableName, scopeOf(reservation), { reserved: subtractAmounts(ZERO_AMOUNTS, reservation.estimate) }),
        ]);
        return true;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw error;
        if (reasons[0] === 'condition') return false;
        await backoff(attempt);
      }
    }
    return false; // still contended: the next reserve or status read tries again
  }

  /**
   * Reserves `reservation.estimate` on the counter of `scope` if it fits under every ceiling, atomically with
   * writing the reservation (see the module comment). A deny writes nothing.
   */
  async reserve(
    ceilings: ExecutionBudget['ceilings'],
    scope: CounterScope,
    reservation: NewReservation,
    nowMs: number,
  ): Promise<ReserveOutcome> {
    const rooms = reservationRooms(ceilings, reservation.estimate);
    const overAlone = rooms.filter(({ room }) => room < 0n).map(({ dimension }) => dimension);
    if (overAlone.length > 0) {
      // Over a ceiling whatever else is held: nothing to try, unless this is a retry of a granted reserve.
      const existing = await this.getReservation(reservation.reservationId);
      if (existing) return { kind: 'existing', reservation: existing };
      const counter = await this.readCounter(scope);
      return { kind: 'denied', deniedBy: deniedDimensions(ceilings, counter, reservation.estimate), counter };
    }

    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const checks = rooms.map(({ dimension, room }) => {
      names[`#committed_${dimension}`] = `committed_${dimension}`;
      values[`:room_${dimension}`] = room;
      return `(attribute_not_exists(#committed_${dimension}) OR #committed_${dimension} <= :room_${dimension})`;
    });
    const item: Item = {
      ...reservationKey(reservation.reservationId),
      ...ledgerKeys.openReservationByExpiry.key(scope, reservation.releaseAt, reservation.reservationId),
      reservationId: reservation.reservationId,
      budgetId: scope.budgetId,
      requestId: reservation.requestId,
      ...(reservation.conversationId === null ? {} : { conversationId: reservation.conversationId }),
      windowKind: scope.window.kind,
      windowStart: scope.window.start,
      ...(scope.window.end === null ? {} : { windowEnd: scope.window.end }),
      estimate: { ...reservation.estimate },
      status: 'open',
      createdAtMs: nowMs,
      releaseAtMs: reservation.releaseAt,
      ...(scope.window.end === null
        ? {}
        : { expiresAt: ttlSeconds(Math.max(scope.window.end, reservation.releaseAt), RESERVATION_RETENTION_DAYS) }),
    };

    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        await this.transact([
          counterUpdate(this.tableName, scope, { reserved: reservation.estimate }, { expression: checks.join(' AND '), names, values }),
          { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
        ]);
        return { kind: 'allowed', reservation: reservationFrom(item) };
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw error;
        if (reasons[1] === 'condition') {
          const existing = await this.getReservation(reservation.reservationId);
          if (existing) return { kind: 'existing', reservation: existing };
          continue; // deleted by its TTL in between: reserve anew
        }
        if (reasons[0] === 'condition') {
          const counter = await this.readCounter(scope);
          const deniedBy = deniedDimensions(ceilings, counter, reservation.estimate);
          if (deniedBy.length > 0) return { kind: 'denied', deniedBy, counter };
          // Room was freed (a settle or release) between the write and the read: try again.
        }
        await backoff(attempt);
      }
    }
    return { kind: 'contended' };
  }

  /**
   * Records the actual of a reservation: open → settled moves its estimate out of `reserved` and adds the actual
   * to `used`; expired → settled (it was released already) only adds the actual to `used`. Settling again with
   * the same actual changes nothing and answers the same settlement. A reservation of another budget is not found.
   */
  async settle(budgetId: string, reservationId: string, actual: BudgetAmounts, nowMs: number): Promise<SettleOutcome> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const reservation = await this.getReservation(reservationId);
      if (!reservation || reservation.budgetId !== budgetId) return { kind: 'not-found' };
      if (reservation.status === 'settled') {
        return sameAmounts(reservation.actual!, actual)
          ? { kind: 'settled', reservation, replayed: true }
          : { kind: 'settled-differently', reservation };
      }
      const wasOpen = reservation.status === 'open';
      try {
        await this.transact([
          {
            Update: {
              TableName: this.tableName,
              Key: reservationKey(reservationId),
              UpdateExpression: `SET #status = :settled, actual = :actual, settledAtMs = :now, expiresAt = :ttl${wasOpen ? ' REMOVE gsi1pk, gsi1sk' : ''}`,
              ConditionExpression: '#status = :was',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':settled': 'settled',
                ':was': reservation.status,
                ':actual': { ...actual },
                ':now': nowMs,
                ':ttl': ttlSeconds(nowMs, RESERVATION_RETENTION_DAYS),
              },
            },
          },
          counterUpdate(
            this.tableName,
            scopeOf(reservation),
            wasOpen ? { reserved: subtractAmounts(ZERO_AMOUNTS, reservation.estimate), used: actual } : { used: actual },
          ),
        ]);
        return { kind: 'settled', reservation: { ...reservation, status: 'settled', actual, settledAt: nowMs }, replayed: false };
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw error;
        // A condition failure means a concurrent settle or release moved it first: read it again and go on from there.
        if (reasons[0] !== 'condition') await backoff(attempt);
      }
    }
    return { kind: 'contended' };
  }

  private async transact(items: NonNullable<TransactWriteCommandInput['TransactItems']>): Promise<void> {
    await this.db.send(new TransactWriteCommand({ TransactItems: items }));
  }
}

function budgetFrom(item: Item): ExecutionBudget {
  const definition = executionBudgetInputSchema.parse(JSON.parse(item.definition as string));
  return { ...definition, id: item.budgetId as string, createdAt: item.createdAt as string, updatedAt: item.updatedAt as string };
}
