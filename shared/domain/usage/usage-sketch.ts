/**
 * A mergeable latency sketch in the manner of DDSketch (Masson, Rim and Lee, VLDB 2019), written here
 * because the idea fits in a page and no small, maintained TypeScript package was worth a dependency.
 *
 * Values are counted in logarithmic buckets: bucket `i` holds the values in (γ^(i-1), γ^i] with
 * γ = (1 + α) / (1 − α), and answers for them with 2γ^i / (γ + 1). Every value in the bucket is then within
 * a relative error α of that answer, so any quantile read from the sketch is within α of the exact
 * quantile of the values that were added (same rank), however many sketches were merged to get it.
 * Merging adds bucket counts: exact, order-free, and what makes per-minute sketches summable over any window.
 *
 * Values at or below `MIN_INDEXABLE_MS` (a microsecond) are counted in a zero bucket and read back as 0.
 */
export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);
export const MIN_INDEXABLE_MS = 0.001;

export interface LatencySketch {
  /** Bucket index → count. */
  buckets: Map<number, number>;
  /** Values at or below MIN_INDEXABLE_MS. */
  zeros: number;
  count: number;
}

export function emptySketch(): LatencySketch {
  return { buckets: new Map(), zeros: 0, count: 0 };
}

export function bucketIndex(value: number): number {
  return Math.ceil(Math.log(value) / LN_GAMMA);
}

export function bucketValue(index: number): number {
  return (2 * Math.pow(GAMMA, index)) / (GAMMA + 1);
}

export function addToSketch(sketch: LatencySketch, valueMs: number, times = 1): void {
  if (!(valueMs >= 0) || !Number.isFinite(valueMs)) throw new RangeError(`latency must be a finite non-negative number, got ${valueMs}`);
  sketch.count += times;
  if (valueMs <= MIN_INDEXABLE_MS) {
    sketch.zeros += times;
    return;
  }
  const i = bucketIndex(valueMs);
  sketch.buckets.set(i, (sketch.buckets.get(i) ?? 0) + times);
}

/** Adds `other` into `into`. */
export function mergeSketchInto(into: LatencySketch, other: LatencySketch): LatencySketch {
  into.count += other.count;
  into.zeros += other.zeros;
  for (const [i, n] of other.buckets) into.buckets.set(i, (into.buckets.get(i) ?? 0) + n);
  return into;
}

/**
 * The value of rank ⌊q·(n − 1)⌋ (0-based) among the values added, within RELATIVE_ACCURACY; null when empty.
 */
export function sketchQuantile(sketch: LatencySketch, q: number): number | null {
  if (sketch.count === 0) return null;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  const rank = Math.floor(q * (sketch.count - 1));
  if (rank < sketch.zeros) return 0;
  let seen = sketch.zeros;
  const indexes = [...sketch.buckets.keys()].sort((a, b) => a - b);
  for (const i of indexes) {
    seen += sketch.buckets.get(i)!;
    if (seen > rank) return bucketValue(i);
  }
  return bucketValue(indexes[indexes.length - 1]!);
}

/**
 * Compact text for storage: `<zeros>|<firstIndex>:<count>,<indexDelta>:<count>,...` with indexes ascending.
 * A minute of a busy model holds a few dozen buckets: well under a kilobyte.
 */
export function encodeSketch(sketch: LatencySketch): string {
  const indexes = [...sketch.buckets.keys()].sort((a, b) => a - b);
  let previous = 0;
  const parts: string[] = [];
  indexes.forEach((i, k) => {
    parts.push(`${k === 0 ? i : i - previous}:${sketch.buckets.get(i)}`);
    previous = i;
  });
  return `${sketch.zeros}|${parts.join(',')}`;
}

export function decodeSketch(text: string | undefined): LatencySketch {
  const sketch = emptySketch();
  if (!text) return sketch;
  const bar = text.indexOf('|');
  sketch.zeros = Number(text.slice(0, bar));
  sketch.count = sketch.zeros;
  const body = text.slice(bar + 1);
  if (body === '') return sketch;
  let index = 0;
  body.split(',').forEach((part, k) => {
    const colon = part.indexOf(':');
    const step = Number(part.slice(0, colon));
    const n = Number(part.slice(colon + 1));
    index = k === 0 ? step : index + step;
    sketch.buckets.set(index, n);
    sketch.count += n;
  });
  if (!Number.isFinite(sketch.count)) throw new Error('latency sketch: malformed encoding');
  return sketch;
}
