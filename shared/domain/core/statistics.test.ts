import { describe, expect, it } from 'vitest';
import { median } from './statistics.js';

describe('median', () => {
  it('is the middle value of an odd count and the mean of the two middle values of an even count, in any order', () => {
    expect(median([3.3, 3, 3.2])).toBe(3.2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('refuses an empty list', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});
