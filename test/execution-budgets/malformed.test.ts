import { beforeAll, describe, expect, it } from 'vitest';
import { useTestLedger } from '../support/ledger.js';
import { createBudget } from './support.js';

const { api } = useTestLedger();
let budgetId: string;

beforeAll(async () => {
  budgetId = await createBudget(api, { name: 'target', ceilings: { cost: '5', tokens: 1000 }, window: 'day' });
});

const definition = { name: 'b', ceilings: { cost: '1' }, window: 'day' };
const reserveBody = { requestId: 'r', estimate: { cost: '0.1' } };

interface Case {
  name: string;
  method: 'POST' | 'PUT' | 'GET' | 'DELETE';
  /** `{id}` is replaced by a real budget's id. */
  path: string;
  body?: unknown;
  status: number;
  /** Text the error message must contain: the field it names. */
  message: string;
}

const cases: Case[] = [
  // definitions
  {
    name: 'definition without a name',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, name: undefined },
    status: 400,
    message: 'name:',
  },
  {
    name: 'definition without ceilings',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, ceilings: {} },
    status: 400,
    message: 'ceilings: name at least one ceiling',
  },
  {
    name: 'cost ceiling as a number',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, ceilings: { cost: 1.5 } },
    status: 400,
    message: 'ceilings.cost: must be a decimal string of USD',
  },
  {
    name: 'negative cost ceiling',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, ceilings: { cost: '-1' } },
    status: 400,
    message: 'ceilings.cost: must be a non-negative decimal string',
  },
  {
    name: 'cost with 13 decimal places',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, ceilings: { cost: '0.0000000000001' } },
    status: 400,
    message: 'ceilings.cost',
  },
  {
    name: 'fractional token ceiling',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, ceilings: { tokens: 10.5 } },
    status: 400,
    message: 'ceilings.tokens: must be a whole number',
  },
  {
    name: 'unknown ceiling',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, ceilings: { gpuHours: 3 } },
    status: 400,
    message: 'gpuHours',
  },
  {
    name: 'unknown window',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, window: 'quarter' },
    status: 400,
    message: 'window:',
  },
  {
    name: 'unknown counting mode',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, per: 'agent' },
    status: 400,
    message: 'per:',
  },
  {
    name: 'appliesTo not an object',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, appliesTo: 'support' },
    status: 400,
    message: 'appliesTo:',
  },
  {
    name: 'reservation TTL over a day',
    method: 'POST',
    path: '/v1/execution-budgets',
    body: { ...definition, reservationTtlSeconds: 90_000 },
    status: 400,
    message: 'reservationTtlSeconds: must be at most 86400',
  },
  { name: 'definition not an object', method: 'POST', path: '/v1/execution-budgets', body: [definition], status: 400, message: '(body)' },
  {
    name: 'replace with a bad window',
    method: 'PUT',
    path: '/v1/execution-budgets/{id}',
    body: { ...definition, window: 'year' },
    status: 400,
    message: 'window:',
  },
  {
    name: 'id with a slash-free but bad character',
    method: 'GET',
    path: '/v1/execution-budgets/a%23b',
    status: 400,
    message: 'id: must be an execution budget id',
  },
  {
    name: 'status with an empty conversationId',
    method: 'GET',
    path: '/v1/execution-budgets/{id}?conversationId=',
    status: 400,
    message: 'conversationId: must not be empty',
  },
  { name: 'list by an unknown filter', method: 'GET', path: '/v1/execution-budgets?team=x', status: 400, message: 'team' },
  {
    name: 'delete an unknown budget',
    method: 'DELETE',
    path: '/v1/execution-budgets/not-there',
    status: 404,
    message: "id: no execution budget 'not-there'",
  },
  // reserve
  {
    name: 'reserve without requestId',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    body: { estimate: { cost: '0.1' } },
    status: 400,
    message: 'requestId:',
  },
  {
    name: 'reserve with an empty requestId',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    body: { ...reserveBody, requestId: '' },
    status: 400,
    message: 'requestId: must not be empty',
  },
  {
    name: 'reserve with a 300-character requestId',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    body: { ...reserveBody, requestId: 'r'.repeat(300) },
    status: 400,
    message: 'requestId: must be at most 256 characters',
  },
  {
    name: 'reserve without estimate',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    body: { requestId: 'r' },
    status: 400,
    message: 'estimate:',
  },
  {
    name: 'estimate of negative tokens',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    body: { ...reserveBody, estimate: { tokens: -5 } },
    status: 400,
    message: 'estimate.tokens: must not be negative',
  },
  {
    name: 'estimate of cost in words',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    body: { ...reserveBody, estimate: { cost: 'ten' } },
    status: 400,
    message: 'estimate.cost',
  },
  {
    name: 'estimate of model calls as a string',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    body: { ...reserveBody, estimate: { modelCalls: '2' } },
    status: 400,
    message: 'estimate.modelCalls: must be a whole number',
  },
  {
    name: 'estimate with an unknown key',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    body: { ...reserveBody, estimate: { dollars: '1' } },
    status: 400,
    message: 'dollars',
  },
  {
    name: 'conversationId with a control character',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    body: { ...reserveBody, conversationId: 'a\u0000b' },
    status: 400,
    message: 'conversationId: may not contain control characters',
  },
  {
    name: 'reserve on an unknown budget',
    method: 'POST',
    path: '/v1/execution-budgets/not-there/reserve',
    body: reserveBody,
    status: 404,
    message: "id: no execution budget 'not-there'",
  },
  {
    name: 'reserve without a body',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    status: 400,
    message: 'body: a JSON body is required',
  },
  // settle
  {
    name: 'settle without reservationId',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/settle',
    body: { actual: {} },
    status: 400,
    message: 'reservationId:',
  },
  {
    name: 'settle a made-up reservationId',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/settle',
    body: { reservationId: 'abc', actual: {} },
    status: 400,
    message: 'reservationId: must be a reservationId returned by reserve',
  },
  {
    name: 'settle without actual',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/settle',
    body: { reservationId: 'r-AAAAAAAAAAAAAAAAAAAAAA' },
    status: 400,
    message: 'actual:',
  },
  {
    name: 'settle a fractional retry count',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/settle',
    body: { reservationId: 'r-AAAAAAAAAAAAAAAAAAAAAA', actual: { retries: 0.5 } },
    status: 400,
    message: 'actual.retries: must be a whole number',
  },
  {
    name: 'settle an unknown reservation',
    method: 'POST',
    path: '/v1/execution-budgets/{id}/settle',
    body: { reservationId: 'r-AAAAAAAAAAAAAAAAAAAAAA', actual: {} },
    status: 404,
    message: 'reservationId: no reservation',
  },
];

describe('malformed execution-budget requests', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: 4xx naming the field', async (_name, c) => {
    const path = c.path.replace('{id}', budgetId);
    const response = await api(
      c.method,
      path,
      c.body === undefined ? (c.method === 'POST' ? { body: '', headers: { 'content-type': 'application/json' } } : {}) : { body: c.body },
    );
    expect(response.status, response.text).toBe(c.status);
    expect(response.body.error.message).toContain(c.message);
  });

  it('changed nothing on the budget', async () => {
    const response = await api('GET', `/v1/execution-budgets/${budgetId}`);
    expect(response.body.current).toMatchObject({ reserved: { cost: '0', tokens: 0 }, used: { cost: '0', tokens: 0 } });
  });
});
