import type { CapacityObservation } from '../market/capacity.js';
import type { GpuObservation, PoolObservation, WorkloadObservation } from '../economics/fleet-observations.js';
import type { GpuPricePoint } from '../market/price-points.js';

/** What the signal rules are tuned by, and what they read. */
export interface SignalSettings {
  /** move: the alternative must be at least this much cheaper, after interruption risk (LEDGER_MOVE_MARGIN_PERCENT). */
  moveMarginPercent: number;
  /** consolidate: share of paid GPU-hours idle (LEDGER_CONSOLIDATE_IDLE_PERCENT). */
  consolidateIdlePercent: number;
  /** renegotiate: move of a price against its trailing median (LEDGER_RENEGOTIATE_THRESHOLD_PERCENT). */
  renegotiateThresholdPercent: number;
  /** commit: the percentile of daily effective utilization that counts as sustained. */
  commitUtilizationPercentile: number;
  /** commit: fewest days with data before utilization counts as sustained. */
  commitMinDaysObserved: number;
  /** move: spot offers with a known placement score below this lack capacity. */
  minPlacementScore: number;
  /** move: the placement score assumed where none is known (Azure, Google Cloud, uncollected regions). */
  unknownPlacementScore: number;
  /** consolidate: the utilization the remaining hosts may run at. */
  consolidateTargetUtilization: number;
  /** replace: robust outlier threshold in scaled MADs below the median. */
  replaceMadMultiplier: number;
  /** replace: an outlier must also be at least this far below the median. */
  replaceMinShortfallPercent: number;
  /** replace: fewest GPUs of one model in one pool with a reading. */
  replaceMinGroupGpus: number;
  /** renegotiate: the trailing window of the median. */
  renegotiateTrailingDays: number;
  /** reclaim: share of a workload's GPU-hours idle with memory held. */
  reclaimIdleHeldPercent: number;
  /** reclaim: fewest idle-held GPU-hours over the window. */
  reclaimMinIdleHeldGpuHours: number;
  /** reclaim: the workload must have been seen within this many hours of the window's end (still holding). */
  reclaimRecentHours: number;
}

export const defaultSignalSettings: SignalSettings = {
  moveMarginPercent: 15,
  consolidateIdlePercent: 60,
  renegotiateThresholdPercent: 10,
  commitUtilizationPercentile: 25,
  commitMinDaysObserved: 7,
  minPlacementScore: 5,
  unknownPlacementScore: 5,
  consolidateTargetUtilization: 0.8,
  replaceMadMultiplier: 3.5,
  replaceMinShortfallPercent: 15,
  replaceMinGroupGpus: 4,
  renegotiateTrailingDays: 30,
  reclaimIdleHeldPercent: 50,
  reclaimMinIdleHeldGpuHours: 8,
  reclaimRecentHours: 24,
};

/** The settings from the validated configuration's analysis keys; the rest keep their defaults. */
export function signalSettings(config: {
  LEDGER_MOVE_MARGIN_PERCENT: number;
  LEDGER_CONSOLIDATE_IDLE_PERCENT: number;
  LEDGER_RENEGOTIATE_THRESHOLD_PERCENT: number;
}): SignalSettings {
  return {
    ...defaultSignalSettings,
    moveMarginPercent: config.LEDGER_MOVE_MARGIN_PERCENT,
    consolidateIdlePercent: config.LEDGER_CONSOLIDATE_IDLE_PERCENT,
    renegotiateThresholdPercent: config.LEDGER_RENEGOTIATE_THRESHOLD_PERCENT,
  };
}

export interface SignalInputs {
  pools: readonly PoolObservation[];
  gpus: readonly GpuObservation[];
  /** Pods, jobs and unnamed host GPU-hours that held GPUs idle (the reclaim signal); none when absent. */
  workloads?: readonly WorkloadObservation[];
  /** The latest price of every offer of the pools' GPU models. */
  latestPrices: readonly GpuPricePoint[];
  /** Price points of the trailing window (and before it, so the price in effect at its start is known). */
  priceHistory: readonly GpuPricePoint[];
  /** The latest capacity observations: spot placement scores, capacity reservations, GPU quotas. */
  capacity: readonly CapacityObservation[];
  nowMs: number;
}
