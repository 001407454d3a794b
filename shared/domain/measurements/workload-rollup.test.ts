import { describe, expect, it } from 'vitest';
import { hostHoursFromMinutes } from './host-hours.js';
import type { MeasurementBatch, MeasurementSample } from './measurement-batch.js';
import { foldBatch, mergeHostMinutes } from './rollup.js';
import { summarizeUtilization } from './utilization.js';
import { gpuMinuteActivity, minuteState } from './gpu-activity.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const MINUTE = 60_000;

/**
 * One H200 host for an hour, a sample every 10 s, with the readings the H200 capture's phases gave
 * (../shared/fixtures/h200/README.md): utilization.gpu 98 and GPM SM activity 0.39 when busy half the time,
 * utilization 23 and SM activity 0 for a stream of tiny kernels.
 * - GPU-A: half busy, pod train/llama-ft-0 of job ft-42, epoch 3 in the first half hour and 4 in the second;
 * - GPU-B: idle with 40 GB held, every other sample from pod research/notebook-ana;
 * - GPU-C: idle, framebuffer free;
 * - GPU-D: tiny kernels with 5 GB held: busy by utilization, idle by SM activity.
 */
function hourOfSamples(filter: (sample: MeasurementSample, i: number) => boolean = () => true): MeasurementBatch {
  const samples: MeasurementSample[] = [];
  let i = 0;
  for (let s = 0; s < 360; s++) {
    const time = new Date(T0 + s * 10_000).toISOString();
    const epoch = s < 180 ? 3 : 4;
    const list: MeasurementSample[] = [
      {
        time,
        gpu: { index: 0, uuid: 'GPU-A', model: 'NVIDIA H200' },
        fields: { DCGM_FI_DEV_GPU_UTIL: 98, DCGM_FI_PROF_SM_ACTIVE: 0.39, DCGM_FI_DEV_FB_USED: 120_000 },
        workload: { namespace: 'train', pod: 'llama-ft-0', container: 'trainer', job: 'ft-42', epoch },
      },
      {
        time,
        gpu: { index: 1, uuid: 'GPU-B', model: 'NVIDIA H200' },
        fields: { DCGM_FI_DEV_GPU_UTIL: 0, DCGM_FI_PROF_SM_ACTIVE: 0, DCGM_FI_DEV_FB_USED: 40_000 },
        ...(s % 2 === 0 ? { workload: { namespace: 'research', pod: 'notebook-ana' } } : {}),
      },
      {
        time,
        gpu: { index: 2, uuid: 'GPU-C', model: 'NVIDIA H200' },
        fields: { DCGM_FI_DEV_GPU_UTIL: 0, DCGM_FI_PROF_SM_ACTIVE: 0, DCGM_FI_DEV_FB_USED: 2 },
      },
      {
        time,
        gpu: { index: 3, uuid: 'GPU-D', model: 'NVIDIA H200' },
        fields: { DCGM_FI_DEV_GPU_UTIL: 23, DCGM_FI_PROF_SM_ACTIVE: 0, DCGM_FI_DEV_FB_USED: 5_000 },
      },
    ];
    for (const sample of list) if (filter(sample, i++)) samples.push(sample);
  }
  return { batchId: 'b-1', host: { hostId: 'h200-1', pool: 'train-h200' }, samples };
}

describe('GPU-minute activity', () => {
  it('classifies active, idle, idle-held and unknown minutes', () => {
    expect(minuteState(0.39, 120_000)).toBe('active');
    expect(minuteState(0.01, 40_000)).toBe('idle_held'); // at the 1% ceiling
    expect(minuteState(0.0101, 40_000)).toBe('active');
    expect(minuteState(0, 1024)).toBe('idle_held'); // at the 1 GiB floor
    expect(minuteState(0, 1023)).toBe('idle');
    expect(minuteState(0, null)).toBe('idle');
    expect(minuteState(null, 40_000)).toBe('unknown');
  });

  it('uses SM active before utilization, so tiny kernels with memory held are idle-held', () => {
    const fields = {
      DCGM_FI_DEV_GPU_UTIL: { n: 1, sum: 23, min: 23, max: 23 },
      DCGM_FI_PROF_SM_ACTIVE: { n: 1, sum: 0, min: 0, max: 0 },
      DCGM_FI_DEV_FB_USED: { n: 1, sum: 5000, min: 5000, max: 5000 },
    };
    expect(gpuMinuteActivity(fields)).toEqual({ activity: 0, basis: 'sm_active', memoryUsedMiB: 5000, state: 'idle_held' });
    const { DCGM_FI_PROF_SM_ACTIVE: _, ...withoutSm } = fields;
    expect(gpuMinuteActivity(withoutSm)).toMatchObject({ activity: 0.23, basis: 'gpu_util', state: 'active' });
  });
});

describe('workloads and idle-held GPUs through rollup, utilization and host-hours', () => {
  it('folds workloads per GPU-minute: samples, and the epoch range the job reported', () => {
    const { minutes } = foldBatch(hourOfSamples());
    expect(minutes).toHaveLength(60);
    expect(minutes[29]!.gpus['GPU-A']!.workloads).toEqual({
      'train\u0001llama-ft-0\u0001trainer\u0001ft-42': {
        namespace: 'train',
        pod: 'llama-ft-0',
        container: 'trainer',
        job: 'ft-42',
        samples: 6,
        epochMin: 3,
        epochMax: 3,
      },
    });
    expect(Object.values(minutes[0]!.gpus['GPU-B']!.workloads!)).toEqual([{ namespace: 'research', pod: 'notebook-ana', samples: 3 }]);
    expect(minutes[0]!.gpus['GPU-C']!.workloads).toBeUndefined();
  });

  it('the same samples in two batches merge to what one batch folds', () => {
    const whole = foldBatch(hourOfSamples()).minutes;
    const even = foldBatch(hourOfSamples((_, i) => i % 2 === 0)).minutes;
    const odd = foldBatch(hourOfSamples((_, i) => i % 2 === 1)).minutes;
    const merged = even.map((m, k) => mergeHostMinutes(m, odd[k]!));
    expect(merged.map((m) => m.gpus['GPU-A']!.workloads)).toEqual(whole.map((m) => m.gpus['GPU-A']!.workloads));
    expect(merged.map((m) => m.gpus['GPU-B']!.workloads)).toEqual(whole.map((m) => m.gpus['GPU-B']!.workloads));
  });

  it('a batch that differs only in its workload has another fingerprint; one without workloads keeps its own', () => {
    const a = hourOfSamples();
    const b = structuredClone(a);
    b.samples[0]!.workload = { namespace: 'train', pod: 'llama-ft-1' };
    expect(foldBatch(a).fingerprint).not.toBe(foldBatch(b).fingerprint);
    const plain = hourOfSamples((s) => !s.workload);
    expect(foldBatch(plain).fingerprint).toBe(foldBatch(structuredClone(plain)).fingerprint);
  });

  it('utilization: 4 GPU-hours, 0.39 effective (SM activity, not the 98% utilization), 2 idle-held, 1 idle', () => {
    const report = summarizeUtilization(foldBatch(hourOfSamples()).minutes, { from: T0, to: T0 + 60 * MINUTE, step: '1h' });
    expect(report.totals).toMatchObject({
      observedGpuHours: 4,
      effectiveGpuHours: 0.39,
      basis: 'sm_active',
      idleHeldGpuHours: 2,
      idleGpuHours: 1,
      meanGpuUtil: 30.25,
    });
    expect(report.hosts[0]!.gpus.map((g) => [g.uuid, g.effectiveGpuHours, g.idleHeldGpuHours, g.idleGpuHours])).toEqual([
      ['GPU-A', 0.39, 0, 0],
      ['GPU-B', 0, 1, 0],
      ['GPU-C', 0, 0, 1],
      ['GPU-D', 0, 1, 0],
    ]);
    expect(report.workloads).toEqual([
      {
        namespace: 'train',
        pod: 'llama-ft-0',
        container: 'trainer',
        job: 'ft-42',
        gpus: 1,
        observedGpuHours: 1,
        effectiveGpuHours: 0.39,
        effectiveUtilization: 0.39,
        idleHeldGpuHours: 0,
      },
      {
        namespace: 'research',
        pod: 'notebook-ana',
        container: null,
        job: null,
        gpus: 1,
        observedGpuHours: 0.5,
        effectiveGpuHours: 0,
        effectiveUtilization: 0,
        idleHeldGpuHours: 0.5,
      },
    ]);
  });

  it('host-hours carry each GPU workload share and the epochs of the hour', () => {
    const [hour] = hostHoursFromMinutes(foldBatch(hourOfSamples()).minutes);
    expect(hour!.idleHeldGpuHours).toBe(2);
    const byUuid = Object.fromEntries(hour!.gpus.map((g) => [g.uuid, g]));
    expect(byUuid['GPU-A']!.workloads).toEqual([
      {
        namespace: 'train',
        pod: 'llama-ft-0',
        container: 'trainer',
        job: 'ft-42',
        observedGpuHours: 1,
        effectiveGpuHours: 0.39,
        idleHeldGpuHours: 0,
        epochMin: 3,
        epochMax: 4,
      },
    ]);
    expect(byUuid['GPU-B']!.workloads).toEqual([
      { namespace: 'research', pod: 'notebook-ana', observedGpuHours: 0.5, effectiveGpuHours: 0, idleHeldGpuHours: 0.5 },
    ]);
    expect(byUuid['GPU-B']!.idleHeldGpuHours).toBe(1);
    expect(byUuid['GPU-C']!.workloads).toBeUndefined();
  });
});
