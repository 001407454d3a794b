/**
 * What the agent sends: the body of `POST {LEDGER_URL}/v1/measurements` (gzip-compressed JSON).
 * Kept free of runtime code so it can be read as the contract.
 */
export type Provider = 'aws' | 'azure' | 'gcp' | 'onprem' | 'other';

export interface HostDescription {
  hostId: string;
  /** What the cloud bill calls this machine: AWS `i-…`, Azure full ARM resource id (lowercased), GCP numeric instance id. */
  instanceId?: string;
  instanceType?: string;
  provider?: Provider;
  region?: string;
  pool?: string;
  labels?: Record<string, string>;
}

export interface GpuIdentity {
  /** Index of the physical GPU (for a MIG instance: its parent GPU). */
  index: number;
  /** GPU UUID; for a MIG instance its `MIG-…` UUID, or `<parent GPU UUID>/gi<GPU instance id>` when that is unknown. */
  uuid: string;
  /** Model name; for a MIG instance suffixed with ` MIG <profile>`. */
  model: string;
}

/**
 * What ran on the GPU, when the host knows it (dcgm-exporter pod labels, a job mapping directory, a job environment file).
 * Every string is cleaned: control characters stripped, trimmed, cut to its bound (WORKLOAD_LIMITS); a key without a
 * value is left out, and a sample without any is sent without `workload` (never an empty object).
 */
export interface Workload {
  /** Kubernetes namespace, at most 63 characters. */
  namespace?: string;
  /** Kubernetes pod, at most 253 characters. */
  pod?: string;
  /** Container in the pod, at most 63 characters. */
  container?: string;
  /** Scheduler job id (Slurm job id, Kubernetes Job name, …), at most 128 characters. */
  job?: string;
  /** Epochs the job reports as completed: an integer 0..1,000,000; only sent together with `job`. */
  epoch?: number;
}

export interface GpuSample {
  /** ISO-8601 UTC. */
  time: string;
  gpu: GpuIdentity;
  /** DCGM field name → reading. A field without a reading is absent, never a sentinel. */
  fields: Record<string, number>;
  workload?: Workload;
}

export interface LatencyBucket {
  /** Upper bound as the Prometheus `le` label writes it: "0.3", "+Inf". */
  le: string;
  /** Cumulative count of requests at or under `le`. */
  count: number;
}

/** Optional extension: cumulative counters scraped from an inference server (vLLM). Servers may ignore it. */
export interface InferenceReading {
  time: string;
  /** The scraped metrics URL. */
  server: string;
  /** vLLM `model_name` label. */
  model: string;
  promptTokensTotal?: number;
  generationTokensTotal?: number;
  requestsRunning?: number;
  latencyBuckets?: LatencyBucket[];
  latencySumSeconds?: number;
  latencyCount?: number;
}

export interface MeasurementBatch {
  batchId: string;
  host: HostDescription;
  samples: GpuSample[];
  inference?: InferenceReading[];
}

/** The server's answer on 202. */
export interface IngestResult {
  batchId: string;
  accepted: number;
  duplicate: boolean;
  rejectedFields: number;
}

/** Limits the server enforces on one batch. */
export const MAX_SAMPLES_PER_BATCH = 10_000;
export const MAX_COMPRESSED_BATCH_BYTES = 1024 * 1024;
export const MAX_FIELDS_PER_SAMPLE = 128;

/** Longest value the server accepts for each workload string. */
export const WORKLOAD_LIMITS = { namespace: 63, pod: 253, container: 63, job: 128 } as const;
export const MAX_WORKLOAD_EPOCH = 1_000_000;
