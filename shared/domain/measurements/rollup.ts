import { MINUTE_MS } from '../core/utc-time.js';
import { dcgmFieldSpec, rejectReading, type DcgmFieldSpec, type FieldRejection } from './dcgm.js';
import type { HostDescription, MeasurementBatch } from './measurement-batch.js';
import { sampleTimeMs, sampleTimes, type InferenceReading } from './measurement-batch.js';
import { MAX_WORKLOADS_PER_GPU_MINUTE, namesWorkload, workloadKey, type Workload } from './workload.js';

/**
 * Samples are folded into one rollup per host per minute: per GPU and field, count/sum/min/max for gauges
 * and first/last/increase for counters. Merging two rollups of the same minute is exact and order-free,
 * so two batches that touch one minute can be applied in either order.
 */
export { MINUTE_MS };

export interface GaugeAggregate {
  n: number;
  sum: number;
  min: number;
  max: number;
}

export interface CounterAggregate {
  n: number;
  first: number;
  firstAt: number;
  last: number;
  lastAt: number;
  /** Increase between first and last, counting across resets (a drop means the counter restarted at 0). */
  inc: number;
}

export type FieldAggregate = GaugeAggregate | CounterAggregate;

/** The samples of one GPU-minute that named one workload; its share of the minute is samples / the GPU's samples. */
export interface WorkloadMinute {
  namespace?: string;
  pod?: string;
  container?: string;
  job?: string;
  samples: number;
  /** Lowest and highest completed-epoch count the job reported in the minute. */
  epochMin?: number;
  epochMax?: number;
}

export interface GpuMinute {
  index: number;
  model: string;
  samples: number;
  fields: Record<string, FieldAggregate>;
  /** Keyed by workloadKey; absent when no sample named a workload. */
  workloads?: Record<string, WorkloadMinute>;
}

/** Counters of one inference server and model within a minute. */
export interface InferenceMinute {
  server: string;
  model: string;
  promptTokens?: CounterAggregate;
  generationTokens?: CounterAggregate;
  requests?: CounterAggregate;
  latencySeconds?: CounterAggregate;
}

export interface HostMinute {
  hostId: string;
  minute: number;
  host: HostDescription;
  /** Keyed by GPU uuid. */
  gpus: Record<string, GpuMinute>;
  /** Keyed by `<server> <model>`; absent when the host runs no scraped inference server. */
  inference?: Record<string, InferenceMinute>;
}

export function isCounterAggregate(a: FieldAggregate): a is CounterAggregate {
  return 'inc' in a;
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

export interface FoldResult {
  minutes: HostMinute[];
  accepted: number;
  rejectedFields: number;
  rejections: Partial<Record<FieldRejection | 'null', number>>;
  /**
   * A cheap digest of what the batch says (times, GPUs, field names and values, in order), computed in the
   * same pass. It tells a replay from a different batch that reuses an id; it is not a security hash.
   */
  fingerprint: string;
}

interface FieldTraits {
  spec: DcgmFieldSpec;
  counter: boolean;
  nameHash: number;
}
const traitsByName = new Map<string, FieldTraits>();

function traitsOf(name: string): FieldTraits {
  let traits = traitsByName.get(name);
  if (!traits) {
    const spec = dcgmFieldSpec(name);
    traits = { spec, counter: spec.kind === 'counter', nameHash: textHash(name) };
    if (traitsByName.size < 10_000) traitsByName.set(name, traits);
  }
  return traits;
}

/** Fold a validated batch into host-minute rollups. Invalid readings are dropped and counted; the rest of the sample stays. */
export function foldBatch(batch: MeasurementBatch, times: Float64Array = sampleTimes(batch)): FoldResult {
  const byMinute = new Map<number, HostMinute>();
  const rejections: FoldResult['rejections'] = {};
  let rejectedFields = 0;
  let digestA = 0;
  let digestB = 0;
  let digestC = 0;
  // Counters need time order inside a minute; sort once when the batch is not already ordered.
  const order = isAscending(times) ? null : [...times.keys()].sort((a, b) => times[a]! - times[b]!);
  for (let k = 0; k < times.length; k++) {
    const i = order ? order[k]! : k;
    const sample = batch.samples[i]!;
    const at = times[i]!;
    const minute = minuteOf(at);
    let rollup = byMinute.get(minute);
    if (!rollup) {
      rollup = { hostId: batch.host.hostId, minute, host: batch.host, gpus: {} };
      byMinute.set(minute, rollup);
    }
    let gpu = rollup.gpus[sample.gpu.uuid];
    if (!gpu) {
      gpu = { index: sample.gpu.index, model: sample.gpu.model, samples: 0, fields: {} };
      rollup.gpus[sample.gpu.uuid] = gpu;
    }
    gpu.samples += 1;
    digestA += at * (i + 1) + sample.gpu.index;
    const workload = sample.workload;
    if (workload && namesWorkload(workload)) {
      const key = workloadKey(workload);
      addWorkloadSample(gpu, key, workload);
      digestB = (digestB + Math.imul(keyHash(key), i + 1)) >>> 0;
      if (workload.epoch !== undefined) digestC += (workload.epoch + 1) * ((i % 9973) + 1);
    }
    for (const name in sample.fields) {
      const value = sample.fields[name];
      const traits = traitsOf(name);
      digestB = (digestB + Math.imul(traits.nameHash, i + 1)) >>> 0;
      const why = value === null || value === undefined ? 'null' : rejectReading(name, value, traits.spec);
      if (why !== null) {
        rejectedFields += 1;
        rejections[why] = (rejections[why] ?? 0) + 1;
        continue;
      }
      digestC += (value as number) * ((i % 9973) + 1);
      addReading(gpu.fields, name, value as number, at, traits.counter);
    }
  }
  for (const reading of batch.inference ?? []) {
    const at = sampleTimeMs(reading.time);
    const minute = minuteOf(at);
    let rollup = byMinute.get(minute);
    if (!rollup) {
      rollup = { hostId: batch.host.hostId, minute, host: batch.host, gpus: {} };
      byMinute.set(minute, rollup);
    }
    addInferenceReading((rollup.inference ??= {}), reading, at);
    digestA += at + reading.model.length;
    digestC += (reading.promptTokensTotal ?? 0) + 3 * (reading.generationTokensTotal ?? 0) + 7 * (reading.latencyCount ?? 0);
  }
  return {
    minutes: [...byMinute.values()].sort((a, b) => a.minute - b.minute),
    accepted: batch.samples.length,
    rejectedFields,
    rejections,
    fingerprint: `v1:${batch.samples.length}:${rejectedFields}:${digestA}:${digestB}:${digestC}`,
  };
}

function textHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Workload keys repeat in every sample of a GPU: hash each once. */
const hashByKey = new Map<string, number>();
function keyHash(key: string): number {
  let h = hashByKey.get(key);
  if (h === undefined) {
    h = textHash(key);
    if (hashByKey.size < 10_000) hashByKey.set(key, h);
  }
  return h;
}

function addWorkloadSample(gpu: GpuMinute, key: string, workload: Workload): void {
  const workloads = (gpu.workloads ??= {});
  let entry = workloads[key];
  if (!entry) {
    if (Object.keys(workloads).length >= MAX_WORKLOADS_PER_GPU_MINUTE) return;
    entry = { samples: 0 };
    if (workload.namespace) entry.namespace = workload.namespace;
    if (workload.pod) entry.pod = workload.pod;
    if (workload.container) entry.container = workload.container;
    if (workload.job) entry.job = workload.job;
    workloads[key] = entry;
  }
  entry.samples += 1;
  if (workload.epoch !== undefined) {
    entry.epochMin = entry.epochMin === undefined ? workload.epoch : Math.min(entry.epochMin, workload.epoch);
    entry.epochMax = entry.epochMax === undefined ? workload.epoch : Math.max(entry.epochMax, workload.epoch);
  }
}

/** Two GPU-minutes' workloads together: samples add, epoch ranges widen; at most MAX_WORKLOADS_PER_GPU_MINUTE kept. */
export function mergeWorkloads(
  a: Record<string, WorkloadMinute> | undefined,
  b: Record<string, WorkloadMinute> | undefined,
): Record<string, WorkloadMinute> | undefined {
  if (!a || !b) return a ?? b;
  const out: Record<string, WorkloadMinute> = {};
  for (const key in a) out[key] = { ...a[key]! };
  for (const key in b) {
    const right = b[key]!;
    const left = out[key];
    if (!left) {
      if (Object.keys(out).length < MAX_WORKLOADS_PER_GPU_MINUTE) out[key] = { ...right };
      continue;
    }
    left.samples += right.samples;
    if (right.epochMin !== undefined)
      left.epochMin = left.epochMin === undefined ? right.epochMin : Math.min(left.epochMin, right.epochMin);
    if (right.epochMax !== undefined)
      left.epochMax = left.epochMax === undefined ? right.epochMax : Math.max(left.epochMax, right.epochMax);
  }
  return out;
}

function isAscending(times: Float64Array): boolean {
  for (let i = 1; i < times.length; i++) if (times[i]! < times[i - 1]!) return false;
  return true;
}

function addReading(fields: Record<string, FieldAggregate>, name: string, value: number, at: number, counter: boolean): void {
  const existing = fields[name];
  if (counter) {
    if (!existing) {
      fields[name] = { n: 1, first: value, firstAt: at, last: value, lastAt: at, inc: 0 };
      return;
    }
    fields[name] = mergeCounter(existing as CounterAggregate, { n: 1, first: value, firstAt: at, last: value, lastAt: at, inc: 0 });
    return;
  }
  if (!existing) {
    fields[name] = { n: 1, sum: value, min: value, max: value };
    return;
  }
  const g = existing as GaugeAggregate;
  g.n += 1;
  g.sum += value;
  if (value < g.min) g.min = value;
  if (value > g.max) g.max = value;
}

const inferenceCounters = [
  ['promptTokens', 'promptTokensTotal'],
  ['generationTokens', 'generationTokensTotal'],
  ['requests', 'latencyCount'],
  ['latencySeconds', 'latencySumSeconds'],
] as const;

function addInferenceReading(into: Record<string, InferenceMinute>, reading: InferenceReading, at: number): void {
  const key = `${reading.server} ${reading.model}`;
  const entry = (into[key] ??= { server: reading.server, model: reading.model });
  for (const [name, wire] of inferenceCounters) {
    const value = reading[wire];
    if (value === undefined) continue;
    const point: CounterAggregate = { n: 1, first: value, firstAt: at, last: value, lastAt: at, inc: 0 };
    const existing = entry[name];
    entry[name] = existing ? mergeCounter(existing, point) : point;
  }
}

function mergeInference(
  a: Record<string, InferenceMinute> | undefined,
  b: Record<string, InferenceMinute> | undefined,
): Record<string, InferenceMinute> | undefined {
  if (!a || !b) return a ?? b;
  const out: Record<string, InferenceMinute> = { ...a };
  for (const key in b) {
    const right = b[key]!;
    const left = out[key];
    if (!left) {
      out[key] = right;
      continue;
    }
    const merged: InferenceMinute = { server: left.server, model: left.model };
    for (const [name] of inferenceCounters) {
      const l = left[name];
      const r = right[name];
      const m = l && r ? mergeCounter(l, r) : (l ?? r);
      if (m) merged[name] = m;
    }
    out[key] = merged;
  }
  return out;
}

/** Increase of a counter from `from` to `to`; a drop means it restarted at zero. */
export function counterStep(from: number, to: number): number {
  return to >= from ? to - from : to;
}

export function mergeCounter(a: CounterAggregate, b: CounterAggregate): CounterAggregate {
  const [early, late] = a.firstAt <= b.firstAt ? [a, b] : [b, a];
  if (late.firstAt >= early.lastAt) {
    // Disjoint in time: bridge the gap between the two runs.
    return {
      n: early.n + late.n,
      first: early.first,
      firstAt: early.firstAt,
      last: late.last,
      lastAt: late.lastAt,
      inc: early.inc + late.inc + counterStep(early.last, late.first),
    };
  }
  // Interleaved runs (two sources for one minute): keep the larger observed increase, never the sum.
  const lastOf = early.lastAt >= late.lastAt ? early : late;
  return {
    n: early.n + late.n,
    first: early.first,
    firstAt: early.firstAt,
    last: lastOf.last,
    lastAt: lastOf.lastAt,
    inc: Math.max(early.inc, late.inc),
  };
}

export function mergeGauge(a: GaugeAggregate, b: GaugeAggregate): GaugeAggregate {
  return { n: a.n + b.n, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

export function mergeFields(a: Record<string, FieldAggregate>, b: Record<string, FieldAggregate>): Record<string, FieldAggregate> {
  const out: Record<string, FieldAggregate> = { ...a };
  for (const name in b) {
    const right = b[name]!;
    const left = out[name];
    if (!left) out[name] = right;
    else if (isCounterAggregate(left) && isCounterAggregate(right)) out[name] = mergeCounter(left, right);
    else if (!isCounterAggregate(left) && !isCounterAggregate(right)) out[name] = mergeGauge(left, right);
    else out[name] = right; // a field changed kind between versions; the newer reading wins
  }
  return out;
}

/** Merge two rollups of the same host and minute. Host metadata of the later write wins. */
export function mergeHostMinutes(existing: HostMinute, incoming: HostMinute): HostMinute {
  if (existing.hostId !== incoming.hostId || existing.minute !== incoming.minute) {
    throw new Error(`cannot merge rollups of ${existing.hostId}@${existing.minute} and ${incoming.hostId}@${incoming.minute}`);
  }
  const gpus: Record<string, GpuMinute> = { ...existing.gpus };
  for (const uuid in incoming.gpus) {
    const right = incoming.gpus[uuid]!;
    const left = gpus[uuid];
    if (!left) {
      gpus[uuid] = right;
      continue;
    }
    const workloads = mergeWorkloads(left.workloads, right.workloads);
    gpus[uuid] = {
      index: right.index,
      model: right.model,
      samples: left.samples + right.samples,
      fields: mergeFields(left.fields, right.fields),
      ...(workloads ? { workloads } : {}),
    };
  }
  const inference = mergeInference(existing.inference, incoming.inference);
  return {
    hostId: existing.hostId,
    minute: existing.minute,
    host: { ...existing.host, ...incoming.host },
    gpus,
    ...(inference ? { inference } : {}),
  };
}
