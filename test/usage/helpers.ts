import { randomUUID } from 'node:crypto';

/** Builders for usage tests: events in the wire format of `POST /v1/usage`. */
export type WireEvent = Record<string, unknown>;

/** A minute start well inside the ingest window; `k` picks a distinct minute per test. */
export function testMinute(k: number): number {
  return Math.floor(Date.now() / 60_000) * 60_000 - (30 + k * 3) * 60_000;
}

export function usageEvent(extra: WireEvent = {}): WireEvent {
  return {
    'ledger.request.id': randomUUID(),
    time: testMinute(0) + 1_000,
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.usage.input_tokens': 1000,
    'gen_ai.usage.output_tokens': 100,
    ...extra,
  };
}

export function window(from: number, to: number, query: Record<string, string> = {}): string {
  const params = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...query });
  return `/v1/usage?${params}`;
}

/** Prices the tests rely on, set through the API so that editing the illustrative defaults breaks nothing. */
export const testPrices: Record<string, Record<string, string | number>> = {
  'gpt-4o': { input_cost_per_token: '0.0000025', output_cost_per_token: '0.00001', cache_read_input_token_cost: '0.00000125' },
  'claude-sonnet-4-5': {
    input_cost_per_token: 3e-6,
    output_cost_per_token: 1.5e-5,
    cache_read_input_token_cost: 3e-7,
    cache_creation_input_token_cost: 3.75e-6,
  },
  'o4-mini': {
    input_cost_per_token: '0.0000011',
    output_cost_per_token: '0.0000044',
    cache_read_input_token_cost: '0.000000275',
    output_cost_per_reasoning_token: '0.000005',
  },
};
