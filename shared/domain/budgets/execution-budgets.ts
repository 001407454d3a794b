import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatDecimal, parseDecimal, type Decimal } from '../core/money.js';
import { DAY_MS, HOUR_MS } from '../core/utc-time.js';

/**
 * Execution budgets: ceilings that agents ask before they spend. A budget caps cost (USD), tokens, model calls
 * and retries per window (UTC hour, day, ISO week from Monday, month, or its whole lifetime), either for all its
 * callers together (`per: 'budget'`) or for each `gen_ai.conversation.id` on its own (`per: 'conversation'`).
 *
 * An agent reserves an estimate before it acts and settles the actual afterwards. A reservation is granted
 * only when, for every ceiling, reserved + used + estimate ≤ ceiling; the storage adapter checks exactly this
 * inside one atomic write, and this module holds the arithmetic it and the API answers share.
 *
 * Quantities are bigints in all four dimensions: cost counts pico-dollars (a `Decimal`, 10^-12 USD, as in
 * money.ts), the others are whole counts. Cost crosses the API as a decimal string, counts as numbers.
 */

export const budgetDimensions = ['cost', 'tokens', 'modelCalls', 'retries'] as const;
export type BudgetDimension = (typeof budgetDimensions)[number];

/** One quantity per dimension; `cost` in pico-dollars. */
export type BudgetAmounts = Record<BudgetDimension, bigint>;
/** The ceilings a budget sets; a dimension without one is counted but never limits. */
export type BudgetCeilings = Partial<Record<BudgetDimension, bigint>>;

export const ZERO_AMOUNTS: BudgetAmounts = Object.freeze({ cost: 0n, tokens: 0n, modelCalls: 0n, retries: 0n });

export const budgetWindowKinds = ['hour', 'day', 'week', 'month', 'lifetime'] as const;
export type BudgetWindowKind = (typeof budgetWindowKinds)[number];

export const budgetCountingModes = ['budget', 'conversation'] as const;
export type BudgetCountingMode = (typeof budgetCountingModes)[number];

export const reservationStatuses = ['open', 'settled', 'expired'] as const;
export type ReservationStatus = (typeof reservationStatuses)[number];

// ---------------------------------------------------------------------------------------------------------
// Request schemas

const MAX_COST_DIGITS = 15; // a trillion dollars: more is a unit mistake
const USD_PATTERN = new RegExp(`^\\d{1,${MAX_COST_DIGITS}}(\\.\\d{1,12})?$`);

/** "12.50" → 12_500_000_000_000n pico-dollars; only plain non-negative decimals with at most 12 places. */
const usdAmount = z
  .string({ error: 'must be a decimal string of USD such as "12.50"' })
  .regex(USD_PATTERN, 'must be a non-negative decimal string of USD such as "12.50", with at most 12 decimal places')
  .transform((text): Decimal => parseDecimal(text))
  .describe('USD, exact decimal string such as "12.50"');

const wholeCount = z
  .number({ error: 'must be a whole number' })
  .int('must be a whole number')
  .min(0, 'must not be negative')
  .max(Number.MAX_SAFE_INTEGER, 'is too large')
  .transform((n) => BigInt(n));

/** Names and identifiers that appear in storage keys and logs: printable, no control characters. */
const label = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'may not contain control characters');

const amountsInput = z.strictObject({
  cost: usdAmount.optional(),
  tokens: wholeCount.optional(),
  modelCalls: wholeCount.optional(),
  retries: wholeCount.optional(),
});

function amountsFromInput(input: z.output<typeof amountsInput>): BudgetAmounts {
  return { cost: input.cost ?? 0n, tokens: input.tokens ?? 0n, modelCalls: input.modelCalls ?? 0n, retries: input.retries ?? 0n };
}

const amountsSchema = amountsInput.transform(amountsFromInput);

const ceilingsSchema = amountsInput
  .refine((c) => budgetDimensions.some((d) => c[d] !== undefined), 'name at least one ceiling: cost, tokens, modelCalls or retries')
  .transform((c): BudgetCeilings => Object.fromEntries(budgetDimensions.filter((d) => c[d] !== undefined).map((d) => [d, c[d]!])));

/** Body of `POST /v1/execution-budgets` and `PUT /v1/execution-budgets/{id}`. */
export const executionBudgetInputSchema = z
  .strictObject({
    name: label(200).describe('what the budget is for'),
    appliesTo: z
      .strictObject({
        workflow: label(256).optional().describe('gen_ai.workflow.name of the callers'),
        agent: label(256).optional().describe('gen_ai.agent.name of the callers'),
      })
      .default({})
      .describe('who the budget is meant for (informational; list budgets by it)'),
    per: z
      .enum(budgetCountingModes)
      .default('budget')
      .describe('budget: one set of counters; conversation: counters per gen_ai.conversation.id'),
    ceilings: ceilingsSchema.describe('at least one of cost (USD decimal string), tokens, modelCalls, retries'),
    window: z.enum(budgetWindowKinds).describe('UTC hour, day, ISO week (from Monday), month, or the whole lifetime'),
    reservationTtlSeconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1 second')
      .max(86_400, 'must be at most 86400 seconds (a day)')
      .optional()
      .describe('an unsettled reservation is released after this long; default LEDGER_RESERVATION_TTL_SECONDS'),
  })
  .meta({ id: 'ExecutionBudgetInput' });
export type ExecutionBudgetDefinition = z.output<typeof executionBudgetInputSchema>;

/** A stored execution budget. */
export interface ExecutionBudget extends ExecutionBudgetDefinition {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export const executionBudgetIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an execution budget id');
export const executionBudgetPathSchema = z.object({ id: executionBudgetIdSchema.describe('the id that create answered') });

export const conversationIdSchema = label(256);

/** Body of `POST /v1/execution-budgets/{id}/reserve`. */
export const reserveRequestSchema = z
  .strictObject({
    requestId: label(256).describe('idempotency key: a retried reserve with the same requestId answers the same reservation'),
    estimate: amountsSchema.describe('what the step is expected to use; omitted dimensions are 0'),
    conversationId: conversationIdSchema.optional().describe('gen_ai.conversation.id; required when the budget counts per conversation'),
  })
  .meta({ id: 'ReserveRequest' });
export type ReserveRequest = z.output<typeof reserveRequestSchema>;

export const reservationIdSchema = z.string().regex(/^r-[A-Za-z0-9_-]{22}$/, 'must be a reservationId returned by reserve');

/** Body of `POST /v1/execution-budgets/{id}/settle`. */
export const settleRequestSchema = z
  .strictObject({
    reservationId: reservationIdSchema,
    actual: amountsSchema.describe('what the step really used; omitted dimensions are 0'),
  })
  .meta({ id: 'SettleRequest' });
export type SettleRequest = z.output<typeof settleRequestSchema>;

export const executionBudgetListQuerySchema = z.strictObject({
  workflow: label(256).optional(),
  agent: label(256).optional(),
});

export const executionBudgetStatusQuerySchema = z.strictObject({
  conversationId: conversationIdSchema.optional().describe("which conversation's counters, for budgets that count per conversation"),
});

// ---------------------------------------------------------------------------------------------------------
// Windows

export interface BudgetWindow {
  kind: BudgetWindowKind;
  /** Epoch ms of the first instant in the window (0 for lifetime). */
  start: number;
  /** Epoch ms of the first instant after it; null for lifetime. */
  end: number | null;
}

/** The UTC window of `kind` that contains `nowMs`. Weeks are ISO weeks, starting Monday 00:00 UTC. */
export function budgetWindowAt(kind: BudgetWindowKind, nowMs: number): BudgetWindow {
  switch (kind) {
    case 'hour': {
      const start = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
      return { kind, start, end: start + HOUR_MS };
    }
    case 'day': {
      const start = Math.floor(nowMs / DAY_MS) * DAY_MS;
      return { kind, start, end: start + DAY_MS };
    }
    case 'week': {
      const midnight = Math.floor(nowMs / DAY_MS) * DAY_MS;
      const daysSinceMonday = (new Date(midnight).getUTCDay() + 6) % 7;
      const start = midnight - daysSinceMonday * DAY_MS;
      return { kind, start, end: start + 7 * DAY_MS };
    }
    case 'month': {
      const date = new Date(nowMs);
      const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
      return { kind, start, end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
    }
    case 'lifetime':
      return { kind, start: 0, end: null };
  }
}

export interface BudgetWindowView {
  kind: BudgetWindowKind;
  start: string | null;
  end: string | null;
}

export function budgetWindowView(window: BudgetWindow): BudgetWindowView {
  return {
    kind: window.kind,
    start: window.kind === 'lifetime' ? null : new Date(window.start).toISOString(),
    end: window.end === null ? null : new Date(window.end).toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Counters, remaining and the decision

/** One counter: what open reservations hold and what settled ones used, in one window (and conversation). */
export interface BudgetCounter {
  reserved: BudgetAmounts;
  used: BudgetAmounts;
}

export const EMPTY_COUNTER: BudgetCounter = Object.freeze({ reserved: ZERO_AMOUNTS, used: ZERO_AMOUNTS });

export function addAmounts(a: BudgetAmounts, b: BudgetAmounts): BudgetAmounts {
  return { cost: a.cost + b.cost, tokens: a.tokens + b.tokens, modelCalls: a.modelCalls + b.modelCalls, retries: a.retries + b.retries };
}

export function subtractAmounts(a: BudgetAmounts, b: BudgetAmounts): BudgetAmounts {
  return { cost: a.cost - b.cost, tokens: a.tokens - b.tokens, modelCalls: a.modelCalls - b.modelCalls, retries: a.retries - b.retries };
}

export function sameAmounts(a: BudgetAmounts, b: BudgetAmounts): boolean {
  return budgetDimensions.every((d) => a[d] === b[d]);
}

/** What counts against the ceilings: reserved + used. */
export function committedAmounts(counter: BudgetCounter): BudgetAmounts {
  return addAmounts(counter.reserved, counter.used);
}

/** Per ceiling, what is left (never below 0); `null` for a dimension without a ceiling. */
export type BudgetRemaining = Record<BudgetDimension, bigint | null>;

export function remainingAmounts(ceilings: BudgetCeilings, counter: BudgetCounter): BudgetRemaining {
  const committed = committedAmounts(counter);
  const out = {} as BudgetRemaining;
  for (const d of budgetDimensions) {
    const ceiling = ceilings[d];
    out[d] = ceiling === undefined ? null : ceiling > committed[d] ? ceiling - committed[d] : 0n;
  }
  return out;
}

/**
 * The room the atomic write checks per ceiling: a reservation fits when `committed ≤ room`, room being
 * ceiling − estimate. A negative room means the estimate alone is over the ceiling.
 */
export function reservationRooms(ceilings: BudgetCeilings, estimate: BudgetAmounts): Array<{ dimension: BudgetDimension; room: bigint }> {
  return budgetDimensions.filter((d) => ceilings[d] !== undefined).map((d) => ({ dimension: d, room: ceilings[d]! - estimate[d] }));
}

/** The ceilings that `estimate` would overshoot on top of what is committed, in dimension order. */
export function deniedDimensions(ceilings: BudgetCeilings, counter: BudgetCounter, estimate: BudgetAmounts): BudgetDimension[] {
  const committed = committedAmounts(counter);
  return reservationRooms(ceilings, estimate)
    .filter(({ dimension, room }) => committed[dimension] > room)
    .map(({ dimension }) => dimension);
}

export interface ReservationDecision {
  decision: 'allow' | 'deny';
  deniedBy: BudgetDimension[];
  /** What remains before this reservation (for an allow, subtract the estimate for what remains after). */
  remaining: BudgetRemaining;
}

/** Whether `estimate` fits under every ceiling given the counter, and what remains. */
export function decideReservation(ceilings: BudgetCeilings, counter: BudgetCounter, estimate: BudgetAmounts): ReservationDecision {
  const deniedBy = deniedDimensions(ceilings, counter, estimate);
  return { decision: deniedBy.length === 0 ? 'allow' : 'deny', deniedBy, remaining: remainingAmounts(ceilings, counter) };
}

// ---------------------------------------------------------------------------------------------------------
// Reservations

export interface ExecutionReservation {
  reservationId: string;
  budgetId: string;
  requestId: string;
  conversationId: string | null;
  window: BudgetWindow;
  estimate: BudgetAmounts;
  status: ReservationStatus;
  createdAt: number;
  /** Epoch ms after which an open reservation is released. */
  releaseAt: number;
  actual: BudgetAmounts | null;
  settledAt: number | null;
  /** Epoch ms when it was released unsettled (it may still be settled later). */
  releasedAt: number | null;
}

/**
 * The reservation id is derived from the budget and the caller's requestId, so a retried reserve lands on the
 * same item and its conditional write tells it apart from a new one. 132 bits of SHA-256, base64url.
 */
export function reservationIdFor(budgetId: string, requestId: string): string {
  return `r-${createHash('sha256').update(`${budgetId}\u0000${requestId}`, 'utf8').digest('base64url').slice(0, 22)}`;
}

/** Whether a retried reserve asks for exactly what the stored reservation was granted for. */
export function sameReserveRequest(reservation: ExecutionReservation, estimate: BudgetAmounts, conversationId: string | null): boolean {
  return sameAmounts(reservation.estimate, estimate) && reservation.conversationId === conversationId;
}

export function reservationTtlMs(budget: Pick<ExecutionBudgetDefinition, 'reservationTtlSeconds'>, defaultTtlSeconds: number): number {
  return (budget.reservationTtlSeconds ?? defaultTtlSeconds) * 1000;
}

// ---------------------------------------------------------------------------------------------------------
// Views (what the API answers)

const costText = z.string().describe('USD, exact decimal string');
const count = z.number().int();

export const budgetAmountsViewSchema = z
  .object({ cost: costText, tokens: count, modelCalls: count, retries: count })
  .meta({ id: 'ExecutionBudgetAmounts' });
export type BudgetAmountsView = z.infer<typeof budgetAmountsViewSchema>;

export const budgetRemainingViewSchema = z
  .object({ cost: costText.nullable(), tokens: count.nullable(), modelCalls: count.nullable(), retries: count.nullable() })
  .describe('per ceiling what is left (never below 0); null where the budget sets no ceiling')
  .meta({ id: 'ExecutionBudgetRemaining' });
export type BudgetRemainingView = z.infer<typeof budgetRemainingViewSchema>;

export const budgetWindowViewSchema = z
  .object({ kind: z.enum(budgetWindowKinds), start: z.string().nullable(), end: z.string().nullable() })
  .describe('UTC; start and end are null for lifetime');

export const executionBudgetViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    appliesTo: z.object({ workflow: z.string().nullable(), agent: z.string().nullable() }),
    per: z.enum(budgetCountingModes),
    ceilings: budgetRemainingViewSchema.describe('null where the budget sets no ceiling'),
    window: z.enum(budgetWindowKinds),
    reservationTtlSeconds: z.number().int().nullable().describe('null: LEDGER_RESERVATION_TTL_SECONDS'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ExecutionBudget' });
export type ExecutionBudgetView = z.infer<typeof executionBudgetViewSchema>;

export const executionBudgetStatusViewSchema = executionBudgetViewSchema
  .extend({
    current: z
      .object({
        window: budgetWindowViewSchema,
        conversationId: z.string().nullable(),
        reserved: budgetAmountsViewSchema,
        used: budgetAmountsViewSchema,
        remaining: budgetRemainingViewSchema,
      })
      .nullable()
      .describe('the current window; null for a per-conversation budget asked without conversationId'),
  })
  .meta({ id: 'ExecutionBudgetStatus' });
export type ExecutionBudgetStatusView = z.infer<typeof executionBudgetStatusViewSchema>;

export const reserveResultSchema = z
  .object({
    decision: z.enum(['allow', 'deny']),
    reservationId: z.string().nullable().describe('settle with it; null on deny'),
    expiresAt: z.string().nullable().describe('an unsettled reservation is released after this; null on deny'),
    remaining: budgetRemainingViewSchema.describe('per ceiling what is left after this answer; null where no ceiling'),
    deniedBy: z.array(z.enum(budgetDimensions)).describe('the ceilings the estimate would overshoot; empty on allow'),
    replayed: z.boolean().describe('true when this requestId was reserved before: the same reservation, counted once'),
    status: z.enum(reservationStatuses).nullable().describe("the reservation's state now; null on deny"),
    window: budgetWindowViewSchema,
    conversationId: z.string().nullable(),
  })
  .meta({ id: 'ReserveResult' });
export type ReserveResult = z.infer<typeof reserveResultSchema>;

export const settleResultSchema = z
  .object({
    reservationId: z.string(),
    status: z.literal('settled'),
    estimate: budgetAmountsViewSchema,
    actual: budgetAmountsViewSchema,
    settledAt: z.string(),
    releasedBeforeSettle: z.boolean().describe('the reservation had expired and was released; the actual is still recorded as used'),
    window: budgetWindowViewSchema,
    conversationId: z.string().nullable(),
    remaining: budgetRemainingViewSchema,
  })
  .meta({ id: 'SettleResult' });
export type SettleResult = z.infer<typeof settleResultSchema>;

export function budgetAmountsView(amounts: BudgetAmounts): BudgetAmountsView {
  return {
    cost: formatDecimal(amounts.cost),
    tokens: Number(amounts.tokens),
    modelCalls: Number(amounts.modelCalls),
    retries: Number(amounts.retries),
  };
}

export function budgetRemainingView(remaining: BudgetRemaining): BudgetRemainingView {
  const n = (value: bigint | null) => (value === null ? null : Number(value));
  return {
    cost: remaining.cost === null ? null : formatDecimal(remaining.cost),
    tokens: n(remaining.tokens),
    modelCalls: n(remaining.modelCalls),
    retries: n(remaining.retries),
  };
}

export function executionBudgetView(budget: ExecutionBudget): ExecutionBudgetView {
  const ceilings: BudgetRemaining = { cost: null, tokens: null, modelCalls: null, retries: null };
  for (const d of budgetDimensions) ceilings[d] = budget.ceilings[d] ?? null;
  return {
    id: budget.id,
    name: budget.name,
    appliesTo: { workflow: budget.appliesTo.workflow ?? null, agent: budget.appliesTo.agent ?? null },
    per: budget.per,
    ceilings: budgetRemainingView(ceilings),
    window: budget.window,
    reservationTtlSeconds: budget.reservationTtlSeconds ?? null,
    createdAt: budget.createdAt,
    updatedAt: budget.updatedAt,
  };
}

/** The definition back in request form (cost as text), for storage as JSON; parsing it again gives the same budget. */
export function executionBudgetInputOf(definition: ExecutionBudgetDefinition): z.input<typeof executionBudgetInputSchema> {
  const ceilings: Record<string, string | number> = {};
  for (const d of budgetDimensions) {
    const value = definition.ceilings[d];
    if (value !== undefined) ceilings[d] = d === 'cost' ? formatDecimal(value) : Number(value);
  }
  return {
    name: definition.name,
    appliesTo: { ...definition.appliesTo },
    per: definition.per,
    ceilings,
    window: definition.window,
    ...(definition.reservationTtlSeconds === undefined ? {} : { reservationTtlSeconds: definition.reservationTtlSeconds }),
  };
}
