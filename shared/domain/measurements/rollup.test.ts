import { describe, expect, it } from 'vitest';
import type { MeasurementBatch } from './measurement-batch.js';
import { foldBatch, mergeCounter, mergeHostMinutes, type CounterAggregate, type GaugeAggregate } from './rollup.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const gpu = (index: number) => ({ index, uuid: `GPU-${index}`, model: 'NVIDIA H100 80GB HBM3' });

function batch(samples: MeasurementBatch['samples'], batchId = 'b1'): MeasurementBatch {
  return { batchId, host: { hostId: 'host-a', pool: 'training' }, samples };
}

describe('foldBatch', () => {
  it('folds samples into one rollup per minute with count, sum, min and max per GPU and field', () => {
    const folded = foldBatch(
      batch([
        { time: T0, gpu: gpu(0), fields: { DCGM_FI_PROF_SM_ACTIVE: 0.2, DCGM_FI_DEV_POWER_USAGE: 300 } },
        { time: T0 + 10_000, gpu: gpu(0), fields: { DCGM_FI_PROF_SM_ACTIVE: 0.6, DCGM_FI_DEV_POWER_USAGE: 500 } },
        { time: T0 + 60_000, gpu: gpu(0), fields: { DCGM_FI_PROF_SM_ACTIVE: 0.9 } },
        { time: new Date(T0 + 5_000).toISOString(), gpu: gpu(1), fields: { DCGM_FI_PROF_SM_ACTIVE: 0.5 } },
      ]),
    );
    expect(folded.accepted).toBe(4);
    expect(folded.minutes.map((m) => m.minute)).toEqual([T0, T0 + 60_000]);
    const first = folded.minutes[0]!;
    expect(first.gpus['GPU-0']!.samples).toBe(2);
    expect(first.gpus['GPU-0']!.fields.DCGM_FI_PROF_SM_ACTIVE).toEqual({ n: 2, sum: 0.8, min: 0.2, max: 0.6 });
    expect(first.gpus['GPU-0']!.fields.DCGM_FI_DEV_POWER_USAGE).toEqual({ n: 2, sum: 800, min: 300, max: 500 });
    expect(first.gpus['GPU-1']!.fields.DCGM_FI_PROF_SM_ACTIVE).toEqual({ n: 1, sum: 0.5, min: 0.5, max: 0.5 });
    expect(folded.minutes[1]!.gpus['GPU-0']!.fields.DCGM_FI_PROF_SM_ACTIVE).toEqual({ n: 1, sum: 0.9, min: 0.9, max: 0.9 });
  });

  it('drops non-finite, blank-sentinel, out-of-range and null readings, counts them, and keeps the rest of the sample', () => {
    const folded = foldBatch(
      batch([
        {
          time: T0,
          gpu: gpu(0),
          fields: {
            DCGM_FI_PROF_SM_ACTIVE: 140737488355328.0, // DCGM FP64 blank
            DCGM_FI_DEV_GPU_UTIL: 2147483632, // DCGM INT32 blank
            DCGM_FI_DEV_POWER_USAGE: -5, // negative power is impossible
            DCGM_FI_DEV_GPU_TEMP: Number.POSITIVE_INFINITY,
            DCGM_FI_DEV_FB_USED: null,
            DCGM_FI_PROF_DRAM_ACTIVE: 1.5, // a ratio above 1
            DCGM_FI_DEV_SM_CLOCK: 1980,
          },
        },
      ]),
    );
    expect(folded.rejectedFields).toBe(6);
    expect(folded.rejections).toEqual({ blank_sentinel: 2, out_of_range: 2, not_finite: 1, null: 1 });
    expect(Object.keys(folded.minutes[0]!.gpus['GPU-0']!.fields)).toEqual(['DCGM_FI_DEV_SM_CLOCK']);
    expect(folded.accepted).toBe(1);
  });

  it('orders counter readings by time and counts across a reset', () => {
    const folded = foldBatch(
      batch([
        { time: T0 + 20_000, gpu: gpu(0), fields: { DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: 500 } },
        { time: T0, gpu: gpu(0), fields: { DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: 10_000 } },
        { time: T0 + 10_000, gpu: gpu(0), fields: { DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: 12_000 } },
      ]),
    );
    // 10,000 -> 12,000 (+2,000), then the counter restarted and read 500 (+500).
    expect(folded.minutes[0]!.gpus['GPU-0']!.fields.DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION).toEqual({
      n: 3,
      first: 10_000,
      firstAt: T0,
      last: 500,
      lastAt: T0 + 20_000,
      inc: 2500,
    });
  });
});

describe('batch fingerprint', () => {
  const samples: MeasurementBatch['samples'] = [
    { time: T0, gpu: gpu(0), fields: { DCGM_FI_PROF_SM_ACTIVE: 0.2, DCGM_FI_DEV_POWER_USAGE: 300 } },
    { time: T0 + 1000, gpu: gpu(1), fields: { DCGM_FI_PROF_SM_ACTIVE: 0.4 } },
  ];
  it('is the same for a replay and differs when a value, a time, a GPU or a field name differs', () => {
    const base = foldBatch(batch(samples)).fingerprint;
    expect(foldBatch(batch(structuredClone(samples))).fingerprint).toBe(base);
    const changed = [
      [{ ...samples[0]!, fields: { DCGM_FI_PROF_SM_ACTIVE: 0.2, DCGM_FI_DEV_POWER_USAGE: 301 } }, samples[1]!],
      [{ ...samples[0]!, time: T0 + 1 }, samples[1]!],
      [{ ...samples[0]!, gpu: gpu(2) }, samples[1]!],
      [{ ...samples[0]!, fields: { DCGM_FI_PROF_SM_OCCUPANCY: 0.2, DCGM_FI_DEV_POWER_USAGE: 300 } }, samples[1]!],
      [samples[0]!],
    ];
    const prints = changed.map((s) => foldBatch(batch(s)).fingerprint);
    expect(new Set([base, ...prints]).size).toBe(changed.length + 1);
  });
});

describe('merging rollups', () => {
  const a = foldBatch(
    batch([{ time: T0, gpu: gpu(0), fields: { DCGM_FI_PROF_SM_ACTIVE: 0.1, DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: 1000 } }], 'a'),
  ).minutes[0]!;
  const b = foldBatch(
    batch([{ time: T0 + 30_000, gpu: gpu(0), fields: { DCGM_FI_PROF_SM_ACTIVE: 0.7, DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: 4000 } }], 'b'),
  ).minutes[0]!;
  const c = foldBatch(batch([{ time: T0 + 50_000, gpu: gpu(1), fields: { DCGM_FI_PROF_SM_ACTIVE: 0.3 } }], 'c')).minutes[0]!;

  it('is order-free: any order of the same batches gives the same rollup', () => {
    const abc = mergeHostMinutes(mergeHostMinutes(a, b), c);
    const cba = mergeHostMinutes(mergeHostMinutes(c, b), a);
    const bac = mergeHostMinutes(b, mergeHostMinutes(a, c));
    expect(cba).toEqual(abc);
    expect(bac).toEqual(abc);
    expect(abc.gpus['GPU-0']!.samples).toBe(2);
    expect(abc.gpus['GPU-0']!.fields.DCGM_FI_PROF_SM_ACTIVE).toEqual({ n: 2, sum: 0.7999999999999999, min: 0.1, max: 0.7 });
    expect((abc.gpus['GPU-0']!.fields.DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION as CounterAggregate).inc).toBe(3000);
    expect(Object.keys(abc.gpus).sort()).toEqual(['GPU-0', 'GPU-1']);
  });

  it('refuses to merge different minutes', () => {
    expect(() => mergeHostMinutes(a, { ...b, minute: T0 + 60_000 })).toThrow(/cannot merge/);
  });

  it('bridges counters of disjoint runs and never adds overlapping ones', () => {
    const early: CounterAggregate = { n: 2, first: 100, firstAt: 0, last: 300, lastAt: 10, inc: 200 };
    const late: CounterAggregate = { n: 2, first: 350, firstAt: 20, last: 400, lastAt: 30, inc: 50 };
    expect(mergeCounter(late, early)).toEqual({ n: 4, first: 100, firstAt: 0, last: 400, lastAt: 30, inc: 300 });
    const overlapping: CounterAggregate = { n: 2, first: 150, firstAt: 5, last: 320, lastAt: 12, inc: 170 };
    expect(mergeCounter(early, overlapping).inc).toBe(200);
  });

  it('keeps gauge statistics exact', () => {
    const g1: GaugeAggregate = { n: 2, sum: 10, min: 4, max: 6 };
    const g2: GaugeAggregate = { n: 1, sum: 1, min: 1, max: 1 };
    const merged = mergeHostMinutes(
      { hostId: 'h', minute: 0, host: { hostId: 'h' }, gpus: { u: { index: 0, model: 'm', samples: 2, fields: { X: g1 } } } },
      { hostId: 'h', minute: 0, host: { hostId: 'h', pool: 'p' }, gpus: { u: { index: 0, model: 'm', samples: 1, fields: { X: g2 } } } },
    );
    expect(merged.gpus.u!.fields.X).toEqual({ n: 3, sum: 11, min: 1, max: 6 });
    expect(merged.host).toEqual({ hostId: 'h', pool: 'p' });
  });
});
