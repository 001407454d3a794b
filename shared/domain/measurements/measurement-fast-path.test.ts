import { describe, expect, it } from 'vitest';
import { hostBatch, simulatedHosts } from '../../../local/fleet-simulator.js';
import { isPlainMeasurementBatch } from './measurement-fast-path.js';
import { measurementBatchSchema } from './measurement-batch.js';
import { seededRandom } from '../../seeded-random.js';

const fleet = { hosts: 1, gpusPerHost: 2, sampleIntervalSec: 20, seed: 3 };
const base = () =>
  structuredClone(
    hostBatch(simulatedHosts(fleet)[0]!, 0, Date.UTC(2026, 10, 20, 10), Date.UTC(2026, 10, 20, 10, 1), fleet),
  ) as unknown as Record<string, any>;

const odd = [
  undefined,
  null,
  '',
  'x',
  'a#b',
  'my host',
  '[N/A]',
  -1,
  0,
  1.5,
  4096,
  1e400,
  Number.NaN,
  true,
  [],
  {},
  [1],
  { a: 1 },
  'x'.repeat(129),
  'x'.repeat(64),
  'x'.repeat(254),
  'tab\there',
  'del\u007f',
  'c1\u0085',
  1_000_001,
  2.5,
  'ns/pod',
  '2026-02-30T00:00:00Z',
  '2026-11-20T24:00:00Z',
  '2026-11-20T10:00:00+0530',
  '2026-11-20T10:00:00.5+05:30',
  '2026-11-20T10:00:00',
  'DCGM_FI_DEV_X',
  'ibm',
  'aws',
];

/** Change one thing somewhere in the batch: a value, a missing key, an extra key. */
function mutate(batch: Record<string, any>, rnd: () => number): void {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const obj = (v: unknown): Record<string, any> => (typeof v === 'object' && v !== null ? (v as Record<string, any>) : {});
  const sample = obj(Array.isArray(batch.samples) && batch.samples.length ? pick(batch.samples) : null);
  const host = obj(batch.host);
  const gpu = obj(sample.gpu);
  const fields = obj(sample.fields);
  const workload = obj(sample.workload);
  const targets: [Record<string, any>, string][] = [
    [batch, 'batchId'],
    [batch, 'host'],
    [batch, 'samples'],
    [batch, 'extra'],
    [batch, 'inference'],
    [host, 'hostId'],
    [host, 'provider'],
    [host, 'pool'],
    [host, 'region'],
    [host, 'labels'],
    [host, 'instanceId'],
    [sample, 'time'],
    [sample, 'gpu'],
    [sample, 'fields'],
    [sample, 'other'],
    [gpu, 'index'],
    [gpu, 'uuid'],
    [gpu, 'model'],
    [gpu, 'serial'],
    [fields, 'DCGM_FI_PROF_SM_ACTIVE'],
    [fields, 'dcgm_fi_lower'],
    [fields, '__proto__'],
    [fields, 'constructor'],
    [sample, 'workload'],
    [workload, 'namespace'],
    [workload, 'pod'],
    [workload, 'container'],
    [workload, 'job'],
    [workload, 'epoch'],
    [workload, 'node'],
  ];
  const [target, key] = pick(targets);
  if (rnd() < 0.15) delete target[key];
  else Object.defineProperty(target, key, { value: structuredClone(pick(odd)), enumerable: true, configurable: true, writable: true });
}

describe('measurement fast path', () => {
  it('accepts the batches agents send', () => {
    expect(base().samples[0].workload).toMatchObject({ namespace: 'training', job: 'ft-llama-70b-001' });
    expect(isPlainMeasurementBatch(base())).toBe(true);
    expect(isPlainMeasurementBatch(JSON.parse(JSON.stringify(base())))).toBe(true);
  });

  it('accepts only what the zod schema accepts unchanged, on 5,000 altered batches', () => {
    const rnd = seededRandom(42); // every run alters the batches the same way
    let fast = 0;
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      const batch = base();
      for (let k = 1 + Math.floor(rnd() * 2); k > 0; k--) mutate(batch, rnd);
      const viaJson = rnd() < 0.5 ? JSON.parse(JSON.stringify(batch) ?? 'null') : batch;
      const zod = measurementBatchSchema.safeParse(viaJson);
      if (isPlainMeasurementBatch(viaJson)) {
        fast++;
        expect(zod.success, JSON.stringify(viaJson).slice(0, 300)).toBe(true);
        expect(zod.data).toEqual(viaJson);
      } else if (!zod.success) rejected++;
    }
    // The mutations must exercise both sides.
    expect(fast).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(1500);
  });
});
