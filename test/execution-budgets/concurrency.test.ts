import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoExecutionBudgetStore } from '../../shared/adapters/dynamo/execution-budget-store.js';
import { budgetWindowAt } from '../../shared/domain/budgets/execution-budgets.js';
import { compareDecimal, formatDecimal, parseDecimal, sumDecimalStrings } from '../../shared/domain/core/money.js';
import { seededRandom } from '../../shared/seeded-random.js';
import { useTestLedger } from '../support/ledger.js';
import { createBudget, status } from './support.js';

const { ledger, api } = useTestLedger();
let store: DynamoExecutionBudgetStore;

beforeAll(() => {
  store = new DynamoExecutionBudgetStore(
    createDocumentClient({ region: 'us-east-1', endpoint: ledger().dynamoEndpoint }),
    ledger().tableName,
  );
});

const CONCURRENT = 200;

/** Fires every reserve at once and answers the responses in request order. */
async function reserveAll(budgetId: string, estimates: ReadonlyArray<Record<string, unknown>>) {
  const responses = await Promise.all(
    estimates.map((estimate, i) =>
      api('POST', `/v1/execution-budgets/${budgetId}/reserve`, { body: { requestId: `step-${i}`, estimate } }),
    ),
  );
  for (const response of responses) expect(response.status, response.text).toBe(200);
  return responses.map((response) => response.body);
}

async function storedCounter(budgetId: string) {
  return store.readCounter({ budgetId, window: budgetWindowAt('day', Date.now()), conversationId: null });
}

describe(`${CONCURRENT} concurrent reservations against one ceiling`, () => {
  it('grants exactly floor(ceiling / estimate) equal estimates, and the counter holds what was granted', async () => {
    const id = await createBudget(api, { name: 'equal estimates', ceilings: { cost: '10' }, window: 'day' });
    const answers = await reserveAll(
      id,
      Array.from({ length: CONCURRENT }, () => ({ cost: '0.3' })),
    );

    const granted = answers.filter((a) => a.decision === 'allow');
    const denied = answers.filter((a) => a.decision === 'deny');
    // floor(10 / 0.3) = 33 reservations of 0.3: 9.9 of 10.
    expect(granted).toHaveLength(33);
    expect(sumDecimalStrings(granted.map(() => '0.3'))).toBe('9.9');
    expect(new Set(granted.map((a) => a.reservationId)).size).toBe(33);
    expect(denied).toHaveLength(CONCURRENT - 33);
    for (const answer of denied) {
      expect(answer).toMatchObject({ reservationId: null, expiresAt: null, deniedBy: ['cost'], remaining: { cost: '0.1', tokens: null } });
    }

    const counter = await storedCounter(id);
    expect(formatDecimal(counter.reserved.cost)).toBe('9.9');
    expect(counter.used.cost).toBe(0n);
    expect((await status(api, id)).current).toMatchObject({ reserved: { cost: '9.9' }, used: { cost: '0' }, remaining: { cost: '0.1' } });
  });

  it('never grants more than the ceiling with unequal estimates, and denies only what could not fit', async () => {
    const random = seededRandom(20261120);
    // 0.01 to 0.50 USD, in cents: 200 of them average about 51 USD against a 20 USD ceiling.
    const estimates = Array.from({ length: CONCURRENT }, () => `0.${String(1 + Math.floor(random() * 50)).padStart(2, '0')}`);
    const id = await createBudget(api, { name: 'unequal estimates', ceilings: { cost: '20' }, window: 'day' });
    const answers = await reserveAll(
      id,
      estimates.map((cost) => ({ cost, modelCalls: 1 })),
    );

    const grantedTotal = sumDecimalStrings(estimates.filter((_, i) => answers[i].decision === 'allow'));
    expect(compareDecimal(parseDecimal(grantedTotal), parseDecimal('20'))).toBeLessThanOrEqual(0);
    // Nothing is settled here, so what is held only grows: a denied estimate did not fit even in the final room.
    const finalRoom = parseDecimal('20') - parseDecimal(grantedTotal);
    for (const [i, answer] of answers.entries()) {
      if (answer.decision === 'deny')
        expect(parseDecimal(estimates[i]!) > finalRoom, `estimate ${estimates[i]} was denied with ${formatDecimal(finalRoom)} left`).toBe(
          true,
        );
    }

    const counter = await storedCounter(id);
    expect(formatDecimal(counter.reserved.cost)).toBe(grantedTotal);
    expect(Number(counter.reserved.modelCalls)).toBe(answers.filter((a) => a.decision === 'allow').length);
  });

  it('denies on the tokens ceiling while cost would still allow, and reserves nothing on a deny', async () => {
    const id = await createBudget(api, { name: 'mixed', ceilings: { cost: '100', tokens: 10_000 }, window: 'day' });
    const answers = await reserveAll(
      id,
      Array.from({ length: 40 }, () => ({ cost: '0.5', tokens: 1_000 })),
    );

    const granted = answers.filter((a) => a.decision === 'allow');
    expect(granted).toHaveLength(10);
    for (const answer of answers.filter((a) => a.decision === 'deny')) {
      expect(answer.deniedBy).toEqual(['tokens']);
      expect(answer.remaining).toEqual({ cost: '95', tokens: 0, modelCalls: null, retries: null });
    }
    const counter = await storedCounter(id);
    expect(formatDecimal(counter.reserved.cost)).toBe('5');
    expect(counter.reserved.tokens).toBe(10_000n);
  });
});
