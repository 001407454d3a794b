import { describe, expect, it } from 'vitest';
import { collectionPeriodSchema, costPeriod, trailingDays } from './periods.js';

describe('collection periods', () => {
  it('covers the trailing days, today included, as whole UTC days', () => {
    expect(trailingDays(new Date('2026-11-23T09:30:00Z'), 14)).toEqual({ start: '2026-11-10', end: '2026-11-24' });
    expect(trailingDays(new Date('2026-03-01T00:00:00Z'), 1)).toEqual({ start: '2026-03-01', end: '2026-03-02' });
    expect(costPeriod({ from: '2026-10-01', to: '2026-11-01' }, new Date('2026-11-23T09:30:00Z'), 14)).toEqual({
      start: '2026-10-01',
      end: '2026-11-01',
    });
  });

  it('refuses half a period, a reversed one and one too long, naming the field', () => {
    const problem = (input: unknown) =>
      collectionPeriodSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problem({})).toBeUndefined();
    expect(problem({ from: '2026-11-01' })).toEqual(['from: give both from and to, or neither']);
    expect(problem({ from: '2026-11-02', to: '2026-11-01' })).toEqual(['from: must be before to']);
    expect(problem({ from: '2025-01-01', to: '2026-11-01' })).toEqual(['from: the period may span at most 400 days']);
    expect(problem({ from: '2026-11-1', to: '2026-11-02' })).toEqual(['from: must be a date, YYYY-MM-DD']);
  });
});
