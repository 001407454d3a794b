import { expect } from 'vitest';
import type { apiClient } from '../support/ledger.js';

type Api = ReturnType<typeof apiClient>;

/** Creates an execution budget through the API and answers its id. */
export async function createBudget(api: Api, body: Record<string, unknown>): Promise<string> {
  const response = await api('POST', '/v1/execution-budgets', { body });
  expect(response.status, response.text).toBe(201);
  return response.body.id as string;
}

export async function reserve(api: Api, budgetId: string, body: Record<string, unknown>) {
  const response = await api('POST', `/v1/execution-budgets/${budgetId}/reserve`, { body });
  expect(response.status, response.text).toBe(200);
  return response.body;
}

export async function settle(api: Api, budgetId: string, body: Record<string, unknown>) {
  const response = await api('POST', `/v1/execution-budgets/${budgetId}/settle`, { body });
  expect(response.status, response.text).toBe(200);
  return response.body;
}

export async function status(api: Api, budgetId: string, conversationId?: string) {
  const query = conversationId === undefined ? '' : `?conversationId=${encodeURIComponent(conversationId)}`;
  const response = await api('GET', `/v1/execution-budgets/${budgetId}${query}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}
