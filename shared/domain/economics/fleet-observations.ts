import type { CloudProvider } from '../providers/gpu-catalog.js';

/**
 * What the analysis observed of the GPU fleet over its trailing window (default 30 days), per pool and per GPU:
 * the input of the recontracting signals. Built by the unit-economics step from host-hour rollups joined to the
 * FOCUS cost records (ResourceId = the agent's instanceId). Amounts are exact decimal strings in USD.
 */
export interface PoolObservation {
  pool: string;
  provider: CloudProvider | null;
  region: string | null;
  /** Instance type (AWS) or VM size / machine type, when the hosts report one and all agree. */
  instanceType: string | null;
  /** GPU model as the catalog names it (`H100`, `A100-80GB`, ...), when the hosts agree. */
  gpuModel: string | null;
  /** FOCUS PricingCategory of the pool's cost records: Standard (on-demand), Dynamic (spot), Committed; null if mixed or none. */
  pricingCategory: 'Standard' | 'Dynamic' | 'Committed' | null;
  team: string | null;
  hosts: number;
  /** Distinct GPUs seen in the window. */
  gpus: number;
  windowStart: string;
  windowEnd: string;
  /** Hours of the window (end − start). */
  windowHours: number;
  /** GPU-hours the pool's hosts were billed for (GPUs × hours with a host reporting or a cost record). */
  paidGpuHours: number;
  effectiveGpuHours: number;
  /** FOCUS EffectiveCost allocated to the pool's hosts over the window. */
  cost: string;
  /** cost / paidGpuHours; null when nothing was paid. */
  costPerPaidGpuHour: string | null;
  /** Effective utilization (effective / paid GPU-hours) of each UTC day of the window, oldest first; null: no data. */
  dailyEffectiveUtilization: (number | null)[];
}

export interface GpuObservation {
  pool: string;
  hostId: string;
  uuid: string;
  gpuModel: string | null;
  /** Mean SM active (0..1) over the window's measured minutes; null when the GPU has no profiling fields. */
  smActive: number | null;
  /** Tokens served per GPU-hour (host tokens split evenly over its GPUs); null when the host serves no scraped inference. */
  tokensPerGpuHour: number | null;
  paidGpuHours: number;
  /** The GPU's share of its host's cost (host cost / GPUs on the host). */
  cost: string;
}

/**
 * A workload that held GPUs idle over the window: a Kubernetes pod, a job, or (kind `host`) the GPU-hours of a host
 * that no workload named. The input of the reclaim signal; only workloads with idle-held GPU-hours are kept.
 */
export interface WorkloadObservation {
  kind: 'pod' | 'job' | 'host';
  /** `namespace/pod`, the job id, or the host id. */
  scope: string;
  namespace: string | null;
  pod: string | null;
  job: string | null;
  /** The pool, when all its GPUs were in one. */
  pool: string | null;
  team: string | null;
  /** Hosts it ran on (at most 10 listed). */
  hosts: string[];
  gpus: number;
  /** Start of the first and of the last hour it was seen in. */
  firstSeen: string;
  lastSeen: string;
  windowEnd: string;
  observedGpuHours: number;
  effectiveGpuHours: number;
  idleHeldGpuHours: number;
  /** Its share of its hosts' cost (observed GPU-hours × the host-day's cost per paid GPU-hour). */
  cost: string;
  /** The part of `cost` spent on idle-held GPU-hours. */
  idleHeldCost: string;
}
