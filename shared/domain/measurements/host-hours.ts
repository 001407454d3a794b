import { z } from 'zod';
import { HOUR_MS, hourOf } from '../core/utc-time.js';
import { gpuMinuteActivity } from './gpu-activity.js';
import { workloadKey } from './workload.js';
import type { HostMinute } from './rollup.js';
import { roundTo } from '../core/statistics.js';
import { counterIncrease, summarizeUtilization } from './utilization.js';

/**
 * One host's hour: what its GPUs did and what it served, folded from its minute rollups. The analysis keeps
 * these (not minutes) for its trailing windows, so 30 days of a 10,000-GPU fleet are 900,000 items of 8 GPUs,
 * not 54 million minutes. Effective GPU-hours follow the utilization basis of the fleet report (SM active,
 * else GR engine active, else GPU util).
 */
/** A workload's share of one GPU's hour: its samples' share of each minute, weighted by that minute's activity and state. */
export const workloadHourSchema = z.object({
  namespace: z.string().optional(),
  pod: z.string().optional(),
  container: z.string().optional(),
  job: z.string().optional(),
  observedGpuHours: z.number(),
  effectiveGpuHours: z.number(),
  idleHeldGpuHours: z.number(),
  /** Lowest and highest completed-epoch count the job reported in the hour. */
  epochMin: z.number().optional(),
  epochMax: z.number().optional(),
});
export type WorkloadHour = z.infer<typeof workloadHourSchema>;

export const gpuHourSchema = z.object({
  uuid: z.string(),
  model: z.string(),
  observedGpuHours: z.number(),
  effectiveGpuHours: z.number(),
  /** Mean SM active over the minutes that had it; null when the GPU reports no profiling fields. */
  smActive: z.number().nullable(),
  /** Observed GPU-hours that were idle while the framebuffer stayed held (absent in host-hours folded before it was measured). */
  idleHeldGpuHours: z.number().optional(),
  /** The workloads the samples named; absent when none did. */
  workloads: z.array(workloadHourSchema).optional(),
});
export type GpuHour = z.infer<typeof gpuHourSchema>;

export const hostHourSchema = z.object({
  hostId: z.string(),
  /** Start of the hour, epoch milliseconds. */
  hour: z.number().int(),
  pool: z.string().nullable(),
  instanceId: z.string().nullable(),
  instanceType: z.string().nullable(),
  provider: z.string().nullable(),
  region: z.string().nullable(),
  gpus: z.array(gpuHourSchema),
  observedGpuHours: z.number(),
  effectiveGpuHours: z.number(),
  idleHeldGpuHours: z.number().optional(),
  energyKwh: z.number(),
  /** Tokens (prompt + generation) and requests served, by model, from the inference server counters. */
  inference: z.record(z.string(), z.object({ tokens: z.number(), requests: z.number() })),
});
export type HostHour = z.infer<typeof hostHourSchema>;

/** Fold minute rollups (any hosts, any order) into host-hours. */
export function hostHoursFromMinutes(minutes: Iterable<HostMinute>): HostHour[] {
  const byHour = new Map<number, HostMinute[]>();
  for (const m of minutes) {
    const hour = hourOf(m.minute);
    let list = byHour.get(hour);
    if (!list) byHour.set(hour, (list = []));
    list.push(m);
  }
  const out: HostHour[] = [];
  for (const [hour, list] of [...byHour].sort(([a], [b]) => a - b)) {
    const report = summarizeUtilization(list, { from: hour, to: hour + HOUR_MS, step: '1h' });
    const servedByHost = inferenceByModel(list);
    const workloadsByGpu = workloadHours(list);
    for (const host of report.hosts) {
      out.push({
        hostId: host.hostId,
        hour,
        pool: host.pool,
        instanceId: host.instanceId,
        instanceType: host.instanceType,
        provider: host.provider,
        region: host.region,
        gpus: host.gpus.map((g) => {
          const workloads = workloadsByGpu.get(`${host.hostId}\u0000${g.uuid}`);
          return {
            uuid: g.uuid,
            model: g.model,
            observedGpuHours: g.observedGpuHours,
            effectiveGpuHours: g.effectiveGpuHours,
            smActive: g.meanSmActive,
            idleHeldGpuHours: g.idleHeldGpuHours,
            ...(workloads ? { workloads } : {}),
          };
        }),
        observedGpuHours: host.totals.observedGpuHours,
        effectiveGpuHours: host.totals.effectiveGpuHours,
        idleHeldGpuHours: host.totals.idleHeldGpuHours,
        energyKwh: host.totals.energyKWh,
        inference: servedByHost.get(host.hostId) ?? {},
      });
    }
  }
  return out;
}

/** Per host and GPU: each workload's share of the GPU-minutes it appeared in, summed over the hour. */
function workloadHours(minutes: readonly HostMinute[]): Map<string, WorkloadHour[]> {
  const acc = new Map<string, Map<string, { hour: WorkloadHour; observed: number; effective: number; idleHeld: number }>>();
  for (const m of minutes) {
    for (const uuid in m.gpus) {
      const gpu = m.gpus[uuid]!;
      if (!gpu.workloads || gpu.samples <= 0) continue;
      const { activity, state } = gpuMinuteActivity(gpu.fields);
      const id = `${m.hostId}\u0000${uuid}`;
      let perGpu = acc.get(id);
      if (!perGpu) acc.set(id, (perGpu = new Map()));
      for (const w of Object.values(gpu.workloads)) {
        const key = workloadKey(w);
        let entry = perGpu.get(key);
        if (!entry) {
          const hour: WorkloadHour = { observedGpuHours: 0, effectiveGpuHours: 0, idleHeldGpuHours: 0 };
          if (w.namespace) hour.namespace = w.namespace;
          if (w.pod) hour.pod = w.pod;
          if (w.container) hour.container = w.container;
          if (w.job) hour.job = w.job;
          perGpu.set(key, (entry = { hour, observed: 0, effective: 0, idleHeld: 0 }));
        }
        const share = Math.min(1, w.samples / gpu.samples);
        entry.observed += share;
        if (activity !== null) entry.effective += share * activity;
        if (state === 'idle_held') entry.idleHeld += share;
        if (w.epochMin !== undefined) entry.hour.epochMin = Math.min(entry.hour.epochMin ?? w.epochMin, w.epochMin);
        if (w.epochMax !== undefined) entry.hour.epochMax = Math.max(entry.hour.epochMax ?? w.epochMax, w.epochMax);
      }
    }
  }
  const out = new Map<string, WorkloadHour[]>();
  for (const [id, perGpu] of acc) {
    out.set(
      id,
      [...perGpu.values()].map(({ hour, observed, effective, idleHeld }) => ({
        ...hour,
        observedGpuHours: roundTo(observed / 60, 6),
        effectiveGpuHours: roundTo(effective / 60, 6),
        idleHeldGpuHours: roundTo(idleHeld / 60, 6),
      })),
    );
  }
  return out;
}

/** Per host, per model: the increase of the token and request counters of every server of that model. */
function inferenceByModel(minutes: readonly HostMinute[]): Map<string, HostHour['inference']> {
  const series = new Map<string, { hostId: string; model: string; minutes: NonNullable<HostMinute['inference']>[string][] }>();
  for (const m of [...minutes].sort((a, b) => a.minute - b.minute)) {
    for (const [key, value] of Object.entries(m.inference ?? {})) {
      const id = `${m.hostId}\u0000${key}`;
      let entry = series.get(id);
      if (!entry) series.set(id, (entry = { hostId: m.hostId, model: value.model, minutes: [] }));
      entry.minutes.push(value);
    }
  }
  const out = new Map<string, HostHour['inference']>();
  for (const { hostId, model, minutes: list } of series.values()) {
    const tokens = counterIncrease(list.map((x) => x.promptTokens)) + counterIncrease(list.map((x) => x.generationTokens));
    const requests = counterIncrease(list.map((x) => x.requests));
    const host = out.get(hostId) ?? {};
    const previous = host[model] ?? { tokens: 0, requests: 0 };
    host[model] = { tokens: previous.tokens + tokens, requests: previous.requests + requests };
    out.set(hostId, host);
  }
  return out;
}
