import { describe, expect, it } from 'vitest';
import {
  budgetRemainingView,
  budgetWindowAt,
  budgetWindowView,
  decideReservation,
  executionBudgetInputOf,
  executionBudgetInputSchema,
  remainingAmounts,
  reservationIdFor,
  reservationRooms,
  reserveRequestSchema,
  settleRequestSchema,
  ZERO_AMOUNTS,
  type BudgetAmounts,
  type BudgetCounter,
} from './execution-budgets.js';

const at = (iso: string) => Date.parse(iso);
const window = (kind: Parameters<typeof budgetWindowAt>[0], iso: string) => budgetWindowView(budgetWindowAt(kind, at(iso)));
const amounts = (patch: Partial<BudgetAmounts>): BudgetAmounts => ({ ...ZERO_AMOUNTS, ...patch });
const counter = (reserved: Partial<BudgetAmounts>, used: Partial<BudgetAmounts> = {}): BudgetCounter => ({
  reserved: amounts(reserved),
  used: amounts(used),
});
/** USD in pico-dollars. */
const usd = (text: string) => reserveRequestSchema.parse({ requestId: 'x', estimate: { cost: text } }).estimate.cost;

describe('budgetWindowAt (UTC)', () => {
  it('hour and day start on the hour and at midnight UTC', () => {
    expect(window('hour', '2026-11-20T10:59:59.999Z')).toEqual({
      kind: 'hour',
      start: '2026-11-20T10:00:00.000Z',
      end: '2026-11-20T11:00:00.000Z',
    });
    expect(window('hour', '2026-11-20T11:00:00.000Z').start).toBe('2026-11-20T11:00:00.000Z');
    expect(window('day', '2026-11-20T23:59:59.999Z')).toEqual({
      kind: 'day',
      start: '2026-11-20T00:00:00.000Z',
      end: '2026-11-21T00:00:00.000Z',
    });
  });

  it('weeks are ISO weeks: Monday 00:00 UTC to the next Monday', () => {
    // 2026-11-23 is a Monday; 2026-11-22 a Sunday.
    expect(window('week', '2026-11-22T23:59:59.999Z')).toEqual({
      kind: 'week',
      start: '2026-11-16T00:00:00.000Z',
      end: '2026-11-23T00:00:00.000Z',
    });
    expect(window('week', '2026-11-23T00:00:00.000Z')).toEqual({
      kind: 'week',
      start: '2026-11-23T00:00:00.000Z',
      end: '2026-11-30T00:00:00.000Z',
    });
    expect(window('week', '2026-11-26T12:00:00.000Z').start).toBe('2026-11-23T00:00:00.000Z');
    // across a year end: Thursday 2027-01-01 belongs to the week of Monday 2026-12-28
    expect(window('week', '2027-01-01T08:00:00.000Z')).toEqual({
      kind: 'week',
      start: '2026-12-28T00:00:00.000Z',
      end: '2027-01-04T00:00:00.000Z',
    });
  });

  it('months run from the first to the first, whatever their length', () => {
    expect(window('month', '2028-02-29T23:00:00.000Z')).toEqual({
      kind: 'month',
      start: '2028-02-01T00:00:00.000Z',
      end: '2028-03-01T00:00:00.000Z',
    });
    expect(window('month', '2026-12-31T23:59:59.999Z')).toEqual({
      kind: 'month',
      start: '2026-12-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
    });
  });

  it('lifetime is one window with no bounds', () => {
    expect(budgetWindowAt('lifetime', at('2026-11-20T10:00:00Z'))).toEqual({ kind: 'lifetime', start: 0, end: null });
    expect(window('lifetime', '2030-01-01T00:00:00Z')).toEqual({ kind: 'lifetime', start: null, end: null });
  });
});

describe('remaining and the decision', () => {
  const ceilings = { cost: usd('10'), tokens: 1000n };

  it('remaining is ceiling − reserved − used, never below 0, null without a ceiling', () => {
    const remaining = remainingAmounts(
      ceilings,
      counter({ cost: usd('2.5'), tokens: 300n }, { cost: usd('1.25'), tokens: 800n, modelCalls: 4n }),
    );
    expect(budgetRemainingView(remaining)).toEqual({ cost: '6.25', tokens: 0, modelCalls: null, retries: null });
  });

  it('allows an estimate that fits exactly and denies one unit more', () => {
    const held = counter({ cost: usd('4') }, { cost: usd('3.999999999999') });
    expect(decideReservation(ceilings, held, amounts({ cost: usd('2.000000000001') }))).toMatchObject({ decision: 'allow', deniedBy: [] });
    expect(decideReservation(ceilings, held, amounts({ cost: usd('2.000000000002') }))).toMatchObject({
      decision: 'deny',
      deniedBy: ['cost'],
    });
  });

  it('names every ceiling that denies, and only those', () => {
    const held = counter({ tokens: 900n, cost: usd('1') });
    expect(decideReservation(ceilings, held, amounts({ tokens: 101n, cost: usd('1') }))).toEqual({
      decision: 'deny',
      deniedBy: ['tokens'],
      remaining: { cost: usd('9'), tokens: 100n, modelCalls: null, retries: null },
    });
    expect(decideReservation(ceilings, held, amounts({ tokens: 101n, cost: usd('9.01') })).deniedBy).toEqual(['cost', 'tokens']);
  });

  it('counts dimensions without a ceiling but never denies on them', () => {
    expect(
      decideReservation({ retries: 2n }, counter({}, { modelCalls: 10n ** 15n }), amounts({ modelCalls: 5n, retries: 2n })).decision,
    ).toBe('allow');
    expect(decideReservation({ retries: 2n }, counter({ retries: 1n }), amounts({ retries: 2n })).deniedBy).toEqual(['retries']);
  });

  it('a ceiling of 0 allows only zero estimates', () => {
    expect(decideReservation({ modelCalls: 0n }, counter({}), amounts({})).decision).toBe('allow');
    expect(decideReservation({ modelCalls: 0n }, counter({}), amounts({ modelCalls: 1n })).deniedBy).toEqual(['modelCalls']);
  });

  it('the write condition rooms are ceiling − estimate, negative when the estimate alone is over', () => {
    expect(reservationRooms({ cost: usd('10'), retries: 3n }, amounts({ cost: usd('0.4'), retries: 5n }))).toEqual([
      { dimension: 'cost', room: usd('9.6') },
      { dimension: 'retries', room: -2n },
    ]);
  });
});

describe('request schemas', () => {
  it('reads a definition with exact cost and defaults, and writes it back the same', () => {
    const definition = executionBudgetInputSchema.parse({ name: 'triage', ceilings: { cost: '12.50', tokens: 2_000_000 }, window: 'day' });
    expect(definition).toEqual({
      name: 'triage',
      appliesTo: {},
      per: 'budget',
      ceilings: { cost: 12_500_000_000_000n, tokens: 2_000_000n },
      window: 'day',
    });
    expect(executionBudgetInputSchema.parse(executionBudgetInputOf(definition))).toEqual(definition);
  });

  it('keeps twelve decimal places of cost exactly and refuses more', () => {
    expect(usd('0.000000000001')).toBe(1n);
    expect(usd('999999999999999.999999999999')).toBe(999_999_999_999_999_999_999_999_999n);
    expect(reserveRequestSchema.safeParse({ requestId: 'x', estimate: { cost: '0.0000000000001' } }).success).toBe(false);
  });

  it.each([
    [{ name: 'b', ceilings: {}, window: 'day' }, 'ceilings', 'name at least one ceiling'],
    [{ name: 'b', ceilings: { cost: 5 }, window: 'day' }, 'ceilings.cost', 'decimal string'],
    [{ name: 'b', ceilings: { cost: '-1' }, window: 'day' }, 'ceilings.cost', 'non-negative'],
    [{ name: 'b', ceilings: { tokens: 1.5 }, window: 'day' }, 'ceilings.tokens', 'whole number'],
    [{ name: 'b', ceilings: { retries: -1 }, window: 'day' }, 'ceilings.retries', 'must not be negative'],
    [{ name: 'b', ceilings: { dollars: '1' }, window: 'day' }, 'ceilings', 'dollars'],
    [{ name: 'b', ceilings: { tokens: 1 }, window: 'fortnight' }, 'window', ''],
    [{ name: 'b', ceilings: { tokens: 1 }, window: 'day', per: 'agent' }, 'per', ''],
    [{ name: 'b', ceilings: { tokens: 1 }, window: 'day', reservationTtlSeconds: 0 }, 'reservationTtlSeconds', 'at least 1 second'],
    [{ name: '', ceilings: { tokens: 1 }, window: 'day' }, 'name', 'must not be empty'],
  ])('refuses a bad definition %#, naming %s', (body, path, message) => {
    const result = executionBudgetInputSchema.safeParse(body);
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    expect(issue.path.join('.')).toBe(path);
    expect(JSON.stringify(result.error!.issues)).toContain(message);
  });

  it('settle needs a reservation id of the shape reserve answers', () => {
    const reservationId = reservationIdFor('budget-1', 'step-1');
    expect(reservationId).toMatch(/^r-[A-Za-z0-9_-]{22}$/);
    expect(settleRequestSchema.parse({ reservationId, actual: { tokens: 3 } })).toEqual({ reservationId, actual: amounts({ tokens: 3n }) });
    expect(settleRequestSchema.safeParse({ reservationId: 'r-1', actual: {} }).success).toBe(false);
  });

  it('derives one reservation id per budget and requestId', () => {
    expect(reservationIdFor('budget-1', 'step-1')).toBe(reservationIdFor('budget-1', 'step-1'));
    expect(reservationIdFor('budget-1', 'step-1')).not.toBe(reservationIdFor('budget-2', 'step-1'));
    expect(reservationIdFor('budget-1', 'step-1')).not.toBe(reservationIdFor('budget-1', 'step-2'));
  });
});
