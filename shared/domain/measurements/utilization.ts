import { z } from 'zod';
import {
  counterStep,
  isCounterAggregate,
  MINUTE_MS,
  type CounterAggregate,
  type FieldAggregate,
  type GpuMinute,
  type HostMinute,
  type InferenceMinute,
  type WorkloadMinute,
} from './rollup.js';
import {
  gaugeMean as mean,
  gpuMinuteActivity,
  IDLE_ACTIVITY_CEILING,
  IDLE_HELD_MEMORY_FLOOR_MIB,
  utilizationBasis,
  type UtilizationBasis,
  workloadShares,
  type GpuMinuteActivity,
} from './gpu-activity.js';
import { podScope, workloadKey } from './workload.js';
import { roundTo } from '../core/statistics.js';
import { DAY_MS, HOUR_MS } from '../core/utc-time.js';

/**
 * Paid versus effectively used GPU time. A GPU-minute with any sample is one observed (paid) GPU-minute;
 * its effective share is mean SM active, else mean graphics-engine active, else mean GPU utilization
 * (kernel busy time, which overstates use: one kernel on one SM reads 100%), flagged by its basis.
 * A minute at or below 1% activity is idle; idle-held when its framebuffer still held 1 GiB or more.
 */
export { utilizationBasis, type UtilizationBasis };

export const stepSchema = z.enum(['1m', '1h', '1d']);
export type Step = z.infer<typeof stepSchema>;
export const stepMs: Record<Step, number> = { '1m': MINUTE_MS, '1h': HOUR_MS, '1d': DAY_MS };

/** Energy counters further apart than this are not bridged: what happened in between is unknown. */
const MAX_COUNTER_BRIDGE_MS = 10 * MINUTE_MS;

export const utilizationMetricsSchema = z.object({
  observedGpuHours: z.number().describe('GPU-hours with at least one sample (what is paid for while the host runs)'),
  effectiveGpuHours: z.number().describe('observed GPU-hours weighted by the utilization basis'),
  effectiveUtilization: z.number().nullable().describe('effectiveGpuHours / observedGpuHours'),
  basis: z
    .enum([...utilizationBasis, 'mixed', 'none'])
    .describe('which measure weighted the hours; mixed when GPU-minutes used different ones'),
  basisMinutes: z.record(z.enum(utilizationBasis), z.number().int()),
  idleHeldGpuHours: z
    .number()
    .describe(
      `GPU-hours at or below ${IDLE_ACTIVITY_CEILING * 100}% activity while ${IDLE_HELD_MEMORY_FLOOR_MIB} MiB or more of framebuffer stayed in use: held by someone (a notebook, a stalled job) and doing nothing`,
    ),
  idleGpuHours: z
    .number()
    .describe(`GPU-hours at or below ${IDLE_ACTIVITY_CEILING * 100}% activity with the framebuffer free (or not reported): truly idle`),
  meanSmActive: z.number().nullable(),
  meanGpuUtil: z.number().nullable().describe('mean DCGM_FI_DEV_GPU_UTIL in percent'),
  averagePowerW: z.number().nullable(),
  energyKWh: z.number(),
});
export type UtilizationMetrics = z.infer<typeof utilizationMetricsSchema>;

class MetricsAccumulator {
  gpuMinutes = 0;
  effectiveMinutes = 0;
  basisMinutes: Record<UtilizationBasis, number> = { sm_active: 0, gr_engine_active: 0, gpu_util: 0 };
  idleHeldMinutes = 0;
  idleMinutes = 0;
  smSum = 0;
  smMinutes = 0;
  utilSum = 0;
  utilMinutes = 0;
  powerSum = 0;
  powerMinutes = 0;
  energyJ = 0;

  addMinute(fields: Record<string, FieldAggregate>, { activity, basis, state }: GpuMinuteActivity, energyJ: number): void {
    this.gpuMinutes += 1;
    if (activity !== null && basis !== null) {
      this.effectiveMinutes += activity;
      this.basisMinutes[basis] += 1;
    }
    if (state === 'idle_held') this.idleHeldMinutes += 1;
    else if (state === 'idle') this.idleMinutes += 1;
    const sm = mean(fields.DCGM_FI_PROF_SM_ACTIVE);
    const util = mean(fields.DCGM_FI_DEV_GPU_UTIL);
    if (sm !== null) {
      this.smSum += sm;
      this.smMinutes += 1;
    }
    if (util !== null) {
      this.utilSum += util;
      this.utilMinutes += 1;
    }
    const power = mean(fields.DCGM_FI_DEV_POWER_USAGE);
    if (power !== null) {
      this.powerSum += power;
      this.powerMinutes += 1;
    }
    this.energyJ += energyJ;
  }

  add(other: MetricsAccumulator): void {
    this.gpuMinutes += other.gpuMinutes;
    this.effectiveMinutes += other.effectiveMinutes;
    for (const b of utilizationBasis) this.basisMinutes[b] += other.basisMinutes[b];
    this.idleHeldMinutes += other.idleHeldMinutes;
    this.idleMinutes += other.idleMinutes;
    this.smSum += other.smSum;
    this.smMinutes += other.smMinutes;
    this.utilSum += other.utilSum;
    this.utilMinutes += other.utilMinutes;
    this.powerSum += other.powerSum;
    this.powerMinutes += other.powerMinutes;
    this.energyJ += other.energyJ;
  }

  result(): UtilizationMetrics {
    const used = utilizationBasis.filter((b) => this.basisMinutes[b] > 0);
    const observedGpuHours = roundTo(this.gpuMinutes / 60, 6);
    const effectiveGpuHours = roundTo(this.effectiveMinutes / 60, 6);
    return {
      observedGpuHours,
      effectiveGpuHours,
      effectiveUtilization: this.gpuMinutes > 0 ? roundTo(this.effectiveMinutes / this.gpuMinutes, 6) : null,
      basis: used.length === 0 ? 'none' : used.length === 1 ? used[0]! : 'mixed',
      basisMinutes: { ...this.basisMinutes },
      idleHeldGpuHours: roundTo(this.idleHeldMinutes / 60, 6),
      idleGpuHours: roundTo(this.idleMinutes / 60, 6),
      meanSmActive: this.smMinutes > 0 ? roundTo(this.smSum / this.smMinutes, 6) : null,
      meanGpuUtil: this.utilMinutes > 0 ? roundTo(this.utilSum / this.utilMinutes, 4) : null,
      averagePowerW: this.powerMinutes > 0 ? roundTo(this.powerSum / this.powerMinutes, 3) : null,
      energyKWh: roundTo(this.energyJ / 3.6e6, 6),
    };
  }
}

export const inferenceSummarySchema = z.object({
  promptTokens: z.number().describe('input tokens the host served (from the inference server counters)'),
  generationTokens: z.number().describe('output tokens the host served'),
  requests: z.number().describe('requests finished'),
  meanLatencySeconds: z.number().nullable(),
});
export type InferenceSummary = z.infer<typeof inferenceSummarySchema>;

/** Increase of a counter over minutes in time order: increases inside minutes plus the steps between them. */
export function counterIncrease(minutes: readonly (CounterAggregate | undefined)[]): number {
  let total = 0;
  let previous: CounterAggregate | undefined;
  for (const c of minutes) {
    if (!c) continue;
    total += c.inc;
    if (previous && c.firstAt - previous.lastAt <= MAX_COUNTER_BRIDGE_MS) total += counterStep(previous.last, c.first);
    previous = c;
  }
  return total;
}

function summarizeInference(minutes: readonly InferenceMinute[]): InferenceSummary {
  const requests = counterIncrease(minutes.map((m) => m.requests));
  const latency = counterIncrease(minutes.map((m) => m.latencySeconds));
  return {
    promptTokens: counterIncrease(minutes.map((m) => m.promptTokens)),
    generationTokens: counterIncrease(minutes.map((m) => m.generationTokens)),
    requests,
    meanLatencySeconds: requests > 0 ? roundTo(latency / requests, 6) : null,
  };
}

function addInference(a: InferenceSummary, b: InferenceSummary): InferenceSummary {
  const requests = a.requests + b.requests;
  const latency = (a.meanLatencySeconds ?? 0) * a.requests + (b.meanLatencySeconds ?? 0) * b.requests;
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    generationTokens: a.generationTokens + b.generationTokens,
    requests,
    meanLatencySeconds: requests > 0 ? roundTo(latency / requests, 6) : null,
  };
}

export interface GpuUtilization extends UtilizationMetrics {
  uuid: string;
  index: number;
  model: string;
}

export interface HostUtilization {
  hostId: string;
  pool: string | null;
  instanceId: string | null;
  instanceType: string | null;
  provider: string | null;
  region: string | null;
  gpus: GpuUtilization[];
  totals: UtilizationMetrics;
  /** Tokens served by inference servers on this host, when its agent scrapes one. */
  inference: InferenceSummary | null;
}

/** The most workloads a report lists, busiest (GPU-hours) first. */
export const MAX_REPORTED_WORKLOADS = 100;

export const workloadUtilizationSchema = z.object({
  namespace: z.string().nullable(),
  pod: z.string().nullable(),
  container: z.string().nullable(),
  job: z.string().nullable(),
  gpus: z.number().int().describe('distinct GPUs the workload used'),
  observedGpuHours: z.number().describe("the workload's share of observed GPU-hours (its samples / the GPU-minute's samples)"),
  effectiveGpuHours: z.number(),
  effectiveUtilization: z.number().nullable(),
  idleHeldGpuHours: z.number(),
});
export type WorkloadUtilization = z.infer<typeof workloadUtilizationSchema>;

export interface UtilizationReport {
  from: string;
  to: string;
  step: Step;
  totals: UtilizationMetrics & { hosts: number; gpus: number; inference: InferenceSummary | null };
  hosts: HostUtilization[];
  series: (UtilizationMetrics & { start: string })[];
  /** Workloads the samples named (Kubernetes pods, jobs), busiest first, at most MAX_REPORTED_WORKLOADS. */
  workloads: WorkloadUtilization[];
}

/** Per workload: its share of each GPU-minute it appeared in, weighted by the minute's activity and state. */
class WorkloadAccumulator {
  private readonly byKey = new Map<
    string,
    { first: WorkloadMinute; gpus: Set<string>; observed: number; effective: number; idleHeld: number; active: number }
  >();

  addMinute(uuid: string, gpu: GpuMinute, activity: GpuMinuteActivity): void {
    for (const w of workloadShares(gpu, activity)) {
      let acc = this.byKey.get(w.key);
      if (!acc) this.byKey.set(w.key, (acc = { first: w.workload, gpus: new Set(), observed: 0, effective: 0, idleHeld: 0, active: 0 }));
      acc.gpus.add(uuid);
      acc.observed += w.share;
      acc.effective += w.effective;
      acc.active += w.measured;
      acc.idleHeld += w.idleHeld;
    }
  }

  result(): WorkloadUtilization[] {
    return [...this.byKey.values()]
      .map((a) => ({
        namespace: a.first.namespace ?? null,
        pod: a.first.pod ?? null,
        container: a.first.container ?? null,
        job: a.first.job ?? null,
        gpus: a.gpus.size,
        observedGpuHours: roundTo(a.observed / 60, 6),
        effectiveGpuHours: roundTo(a.effective / 60, 6),
        effectiveUtilization: a.active > 0 ? roundTo(a.effective / a.active, 6) : null,
        idleHeldGpuHours: roundTo(a.idleHeld / 60, 6),
      }))
      .sort((a, b) => b.observedGpuHours - a.observedGpuHours || label(a).localeCompare(label(b)))
      .slice(0, MAX_REPORTED_WORKLOADS);
  }
}

function label(w: WorkloadUtilization): string {
  const identity = {
    namespace: w.namespace ?? undefined,
    pod: w.pod ?? undefined,
    container: w.container ?? undefined,
    job: w.job ?? undefined,
  };
  return `${podScope(identity) ?? ''}\u0000${workloadKey(identity)}`;
}

/**
 * Energy of one GPU-minute in joules: from the energy counter when it has readings (its increase inside the
 * minute plus the step from the previous minute's last reading), else mean power over the minute.
 */
function minuteEnergyJ(fields: Record<string, FieldAggregate>, previous: { last: number; lastAt: number } | undefined): number {
  const counter = fields.DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION;
  if (counter && isCounterAggregate(counter)) {
    let mJ = counter.inc;
    if (previous && counter.firstAt - previous.lastAt <= MAX_COUNTER_BRIDGE_MS) mJ += counterStep(previous.last, counter.first);
    return mJ / 1000;
  }
  const power = mean(fields.DCGM_FI_DEV_POWER_USAGE);
  return power === null ? 0 : power * 60;
}

/** Build the report from host-minute rollups (any order) for [from, to). */
/** Called once per GPU-minute in the window, with its activity, for callers that fold the minutes further (host-hours). */
export type GpuMinuteVisitor = (hostId: string, uuid: string, minute: GpuMinute, activity: GpuMinuteActivity) => void;

export function summarizeUtilization(
  rollups: Iterable<HostMinute>,
  range: { from: number; to: number; step: Step },
  onGpuMinute?: GpuMinuteVisitor,
): UtilizationReport {
  const hosts = new Map<
    string,
    {
      meta: HostMinute['host'];
      gpus: Map<string, { index: number; model: string; minutes: GpuMinute[]; times: number[] }>;
      inference: Map<string, InferenceMinute[]>;
    }
  >();
  const sorted = [...rollups].filter((r) => r.minute >= range.from && r.minute < range.to).sort((a, b) => a.minute - b.minute);
  for (const r of sorted) {
    let host = hosts.get(r.hostId);
    if (!host) {
      host = { meta: r.host, gpus: new Map(), inference: new Map() };
      hosts.set(r.hostId, host);
    }
    host.meta = { ...host.meta, ...r.host };
    for (const key in r.inference ?? {}) {
      const list = host.inference.get(key) ?? [];
      list.push(r.inference![key]!);
      host.inference.set(key, list);
    }
    for (const uuid in r.gpus) {
      const g = r.gpus[uuid]!;
      let entry = host.gpus.get(uuid);
      if (!entry) {
        entry = { index: g.index, model: g.model, minutes: [], times: [] };
        host.gpus.set(uuid, entry);
      }
      entry.index = g.index;
      entry.model = g.model;
      entry.minutes.push(g);
      entry.times.push(r.minute);
    }
  }

  const size = stepMs[range.step];
  const bucketStart = (t: number) => range.from + Math.floor((t - range.from) / size) * size;
  const series = new Map<number, MetricsAccumulator>();
  const fleet = new MetricsAccumulator();
  const workloads = new WorkloadAccumulator();
  const hostReports: HostUtilization[] = [];
  let gpuCount = 0;
  let fleetInference: InferenceSummary | null = null;

  for (const [hostId, host] of [...hosts].sort(([a], [b]) => a.localeCompare(b))) {
    const hostAcc = new MetricsAccumulator();
    const gpuReports: GpuUtilization[] = [];
    for (const [uuid, gpu] of host.gpus) {
      const acc = new MetricsAccumulator();
      let previousCounter: { last: number; lastAt: number } | undefined;
      gpu.minutes.forEach((minute, i) => {
        const fields = minute.fields;
        const activity = gpuMinuteActivity(fields);
        workloads.addMinute(uuid, minute, activity);
        onGpuMinute?.(hostId, uuid, minute, activity);
        const energy = minuteEnergyJ(fields, previousCounter);
        const counter = fields.DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION;
        previousCounter = counter && isCounterAggregate(counter) ? counter : undefined;
        acc.addMinute(fields, activity, energy);
        const start = bucketStart(gpu.times[i]!);
        let bucket = series.get(start);
        if (!bucket) {
          bucket = new MetricsAccumulator();
          series.set(start, bucket);
        }
        bucket.addMinute(fields, activity, energy);
      });
      hostAcc.add(acc);
      gpuReports.push({ uuid, index: gpu.index, model: gpu.model, ...acc.result() });
    }
    gpuReports.sort((a, b) => a.index - b.index || a.uuid.localeCompare(b.uuid));
    gpuCount += gpuReports.length;
    fleet.add(hostAcc);
    let inference: InferenceSummary | null = null;
    for (const minutes of host.inference.values()) {
      const summary = summarizeInference(minutes);
      inference = inference ? addInference(inference, summary) : summary;
    }
    if (inference) fleetInference = fleetInference ? addInference(fleetInference, inference) : inference;
    hostReports.push({
      hostId,
      pool: host.meta.pool ?? null,
      instanceId: host.meta.instanceId ?? null,
      instanceType: host.meta.instanceType ?? null,
      provider: host.meta.provider ?? null,
      region: host.meta.region ?? null,
      gpus: gpuReports,
      totals: hostAcc.result(),
      inference,
    });
  }

  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    step: range.step,
    totals: { ...fleet.result(), hosts: hostReports.length, gpus: gpuCount, inference: fleetInference },
    hosts: hostReports,
    series: [...series].sort(([a], [b]) => a - b).map(([start, acc]) => ({ start: new Date(start).toISOString(), ...acc.result() })),
    workloads: workloads.result(),
  };
}
