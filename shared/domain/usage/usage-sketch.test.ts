import { describe, expect, it } from 'vitest';
import {
  addToSketch,
  bucketIndex,
  bucketValue,
  decodeSketch,
  emptySketch,
  encodeSketch,
  mergeSketchInto,
  RELATIVE_ACCURACY,
  sketchQuantile,
} from './usage-sketch.js';
import { seededRandom } from '../../seeded-random.js';

/** Log-normal latencies: median ~ e^6 ≈ 403 ms, long tail (a typical LLM latency shape). */
function lognormal(n: number, seed: number): number[] {
  const next = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const u = Math.max(next(), 1e-12);
    const v = next();
    return Math.exp(6 + 0.9 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  });
}

const exactQuantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

describe('latency sketch (DDSketch-style, α = 1%)', () => {
  it('answers every bucket within α of the values it holds', () => {
    for (const value of [0.0011, 0.5, 1, 7.3, 100, 999.99, 12_345, 86_400_000]) {
      const estimate = bucketValue(bucketIndex(value));
      expect(Math.abs(estimate - value) / value).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-12);
    }
  });

  it.each([0.5, 0.9, 0.95, 0.99, 0.999])('keeps quantile %s of 20,000 log-normal latencies within 1%%', (q) => {
    const values = lognormal(20_000, 42);
    const sketch = emptySketch();
    for (const v of values) addToSketch(sketch, v);
    const exact = exactQuantile(
      [...values].sort((a, b) => a - b),
      q,
    );
    const estimate = sketchQuantile(sketch, q)!;
    expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-12);
  });

  it('merges exactly: sketches of parts merged equal the sketch of the whole', () => {
    const values = lognormal(5_000, 7);
    const whole = emptySketch();
    for (const v of values) addToSketch(whole, v);
    const parts = [emptySketch(), emptySketch(), emptySketch()];
    values.forEach((v, i) => addToSketch(parts[i % 3]!, v));
    const merged = parts.reduce((into, part) => mergeSketchInto(into, part), emptySketch());
    expect(encodeSketch(merged)).toBe(encodeSketch(whole));
    expect(merged.count).toBe(5_000);
    for (const q of [0.5, 0.95, 0.99]) expect(sketchQuantile(merged, q)).toBe(sketchQuantile(whole, q));
  });

  it('round-trips through its storage encoding', () => {
    const sketch = emptySketch();
    for (const v of [0, 0, 0.0005, 1, 1, 2, 40, 41, 3_000]) addToSketch(sketch, v);
    const text = encodeSketch(sketch);
    expect(text.startsWith('3|')).toBe(true); // three values at or below a microsecond
    const back = decodeSketch(text);
    expect(back.count).toBe(9);
    expect(back.zeros).toBe(3);
    expect(encodeSketch(back)).toBe(text);
    expect(decodeSketch(undefined).count).toBe(0);
    expect(decodeSketch('0|').count).toBe(0);
  });

  it('answers null when empty and 0 for the zero bucket, and refuses bad input', () => {
    const sketch = emptySketch();
    expect(sketchQuantile(sketch, 0.5)).toBeNull();
    addToSketch(sketch, 0);
    addToSketch(sketch, 0);
    addToSketch(sketch, 100);
    expect(sketchQuantile(sketch, 0.5)).toBe(0);
    expect(Math.abs(sketchQuantile(sketch, 1)! - 100) / 100).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    expect(() => addToSketch(sketch, -1)).toThrow(RangeError);
    expect(() => addToSketch(sketch, Number.NaN)).toThrow(RangeError);
    expect(() => sketchQuantile(sketch, 1.5)).toThrow(RangeError);
  });

  it('stays small: a minute of 10,000 requests between 50 ms and 60 s holds a few hundred buckets at most', () => {
    const next = seededRandom(3);
    const sketch = emptySketch();
    for (let i = 0; i < 10_000; i++) addToSketch(sketch, 50 + next() * 59_950);
    // log(60000/50)/log(γ) ≈ 355 buckets can exist in that range at all.
    expect(sketch.buckets.size).toBeLessThanOrEqual(356);
    expect(encodeSketch(sketch).length).toBeLessThan(4_000);
  });
});
