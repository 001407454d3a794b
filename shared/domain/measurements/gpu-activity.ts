import { isCounterAggregate, type FieldAggregate, type GaugeAggregate, type GpuMinute, type WorkloadMinute } from './rollup.js';

/**
 * How busy one GPU-minute was, on the best measure it reported: SM active (DCGM profiling, or nvidia-smi's GPM SM
 * activity on Hopper and newer), else graphics-engine active, else GPU utilization (kernel busy time, which reads
 * 100% for one kernel on one SM: the last resort, flagged by its basis). And whether a minute doing nothing still
 * held the GPU's memory: idle-held (a notebook left open, a stalled job) as against truly idle.
 */
export const utilizationBasis = ['sm_active', 'gr_engine_active', 'gpu_util'] as const;
export type UtilizationBasis = (typeof utilizationBasis)[number];

/** At or below this activity (0..1) a minute did nothing useful: 1% of SM time. */
export const IDLE_ACTIVITY_CEILING = 0.01;
/**
 * Framebuffer in use (MiB) from which an inactive GPU counts as held: above what a driver or a bare CUDA context
 * keeps (a few MiB to about 500 MiB), below any loaded model.
 */
export const IDLE_HELD_MEMORY_FLOOR_MIB = 1024;

export type GpuMinuteState = 'active' | 'idle' | 'idle_held' | 'unknown';

export interface GpuMinuteActivity {
  /** 0..1 on `basis`; null when the minute has none of the three measures. */
  activity: number | null;
  basis: UtilizationBasis | null;
  /** Mean framebuffer in use, MiB; null when not reported. */
  memoryUsedMiB: number | null;
  state: GpuMinuteState;
}

export function gaugeMean(a: FieldAggregate | undefined): number | null {
  if (!a || isCounterAggregate(a) || a.n === 0) return null;
  return (a as GaugeAggregate).sum / a.n;
}

/** The minute's activity, its basis and its state (active, idle, idle-held, or unknown without any measure). */
export function gpuMinuteActivity(fields: Record<string, FieldAggregate>): GpuMinuteActivity {
  const sm = gaugeMean(fields.DCGM_FI_PROF_SM_ACTIVE);
  const gr = sm === null ? gaugeMean(fields.DCGM_FI_PROF_GR_ENGINE_ACTIVE) : null;
  const util = sm === null && gr === null ? gaugeMean(fields.DCGM_FI_DEV_GPU_UTIL) : null;
  const [activity, basis]: [number | null, UtilizationBasis | null] =
    sm !== null ? [sm, 'sm_active'] : gr !== null ? [gr, 'gr_engine_active'] : util !== null ? [util / 100, 'gpu_util'] : [null, null];
  const memoryUsedMiB = gaugeMean(fields.DCGM_FI_DEV_FB_USED);
  return { activity, basis, memoryUsedMiB, state: minuteState(activity, memoryUsedMiB) };
}

export function minuteState(activity: number | null, memoryUsedMiB: number | null): GpuMinuteState {
  if (activity === null) return 'unknown';
  if (activity > IDLE_ACTIVITY_CEILING) return 'active';
  return memoryUsedMiB !== null && memoryUsedMiB >= IDLE_HELD_MEMORY_FLOOR_MIB ? 'idle_held' : 'idle';
}

/** One workload's part of a GPU-minute: its share of the minute's samples, weighted by the minute's activity and state. */
export interface WorkloadShare {
  /** The rollup's key of the workload (workloadKey). */
  key: string;
  workload: WorkloadMinute;
  share: number;
  /** share × activity; 0 when the minute had no measure. */
  effective: number;
  /** share when the minute had a measure, else 0 (the denominator of a workload's utilization). */
  measured: number;
  /** share when the minute was idle-held, else 0. */
  idleHeld: number;
}

/** The workloads of a GPU-minute with their shares, given the minute's activity (computed once by the caller). */
export function* workloadShares(gpu: GpuMinute, activity: GpuMinuteActivity): Generator<WorkloadShare> {
  if (!gpu.workloads || gpu.samples <= 0) return;
  for (const key in gpu.workloads) {
    const workload = gpu.workloads[key]!;
    const share = Math.min(1, workload.samples / gpu.samples);
    yield {
      key,
      workload,
      share,
      effective: activity.activity === null ? 0 : share * activity.activity,
      measured: activity.activity === null ? 0 : share,
      idleHeld: activity.state === 'idle_held' ? share : 0,
    };
  }
}
