import { describe, expect, it } from 'vitest';
import { analysisInputSchema, planAnalysis } from './economics.js';

/** Pools per day, as the measurement store's loose index scan would find them. */
const measurements = {
  poolsOfDay: async (day: string) => ({ '2026-11-22': ['night-batch'], '2026-11-23': ['inference', 'training'] })[day] ?? [],
};
const plan = (input: Record<string, unknown>) =>
  planAnalysis({ measurements } as never, analysisInputSchema.parse(input), Date.parse('2026-11-23T13:07:00Z'));

describe('planAnalysis', () => {
  it('hourly: the last three complete hours, the day of the last one, every pool that reported', async () => {
    expect(await plan({})).toEqual({
      mode: 'hourly',
      at: '2026-11-23T13:07:00.000Z',
      date: '2026-11-23',
      pools: ['inference', 'training'].map((pool) => ({ pool, from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T13:00:00.000Z' })),
    });
  });

  it('hourly just after midnight: the window reaches into yesterday, and the analyzed day is yesterday', async () => {
    const result = await plan({ at: '2026-11-23T00:05:00Z' });
    expect(result.date).toBe('2026-11-22');
    expect(result.pools).toEqual([{ pool: 'night-batch', from: '2026-11-22T21:00:00.000Z', to: '2026-11-23T00:00:00.000Z' }]);
  });

  it('daily: the whole day before, or a given day up to the end of the current hour', async () => {
    const yesterday = await plan({ mode: 'daily', at: '2026-11-23T00:15:00Z' });
    expect(yesterday.date).toBe('2026-11-22');
    expect(yesterday.pools[0]).toEqual({ pool: 'night-batch', from: '2026-11-22T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' });
    const today = await plan({ mode: 'daily', date: '2026-11-23' });
    expect(today.pools.map((p) => [p.pool, p.from, p.to])).toEqual([
      ['inference', '2026-11-23T00:00:00.000Z', '2026-11-23T14:00:00.000Z'],
      ['training', '2026-11-23T00:00:00.000Z', '2026-11-23T14:00:00.000Z'],
    ]);
  });

  it('restricts the fan-out to the pools asked for, and refuses malformed input naming the field', async () => {
    expect((await plan({ pools: ['training', 'gone'] })).pools.map((p) => p.pool)).toEqual(['training']);
    expect(analysisInputSchema.safeParse({ mode: 'weekly' }).error?.issues[0]?.path).toEqual(['mode']);
    expect(analysisInputSchema.safeParse({ pools: ['a b'] }).error?.issues[0]?.path).toEqual(['pools', 0]);
  });
});
