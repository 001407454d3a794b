import { z } from 'zod';
import { HOUR_MS, hourOf } from '../core/utc-time.js';
import { workloadShares } from './gpu-activity.js';
import type { HostMinute } from './rollup.js';
import { roundTo } from '../core/statistics.js';
import { counterIncrease, summarizeUtilization, type GpuMinuteVisitor } from './utilization.js';

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
    const workloadsByGpu = new WorkloadHours();
    const report = summarizeUtilization(list, { from: hour, to: hour + HOUR_MS, step: '1h' }, workloadsByGpu.visit);
    const servedByHost = inferenceByModel(list);
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
          const workloads = workloadsByGpu.of(host.hostId, g.uuid);
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
class WorkloadHours {
  private readonly byGpu = new Map<string, Map<string, { hour: WorkloadHour; observed: number; effective: number; idleHeld: number }>>();

  readonly visit: GpuMinuteVisitor = (hostId, uuid, minute, activity) => {
    for (const w of workloadShares(minute, activity)) {
      const id = `${hostId}\u0000${uuid}`;
      let perGpu = this.byGpu.get(id);
      if (!perGpu) this.byGpu.set(id, (perGpu = new Map()));
      let entry = perGpu.get(w.key);
      if (!entry) {
        const hour: WorkloadHour = { observedGpuHours: 0, effectiveGpuHours: 0, idleHeldGpuHours: 0 };
        if (w.workload.namespace) hour.namespace = w.workload.namespace;
        if (w.workload.pod) hour.pod = w.workload.pod;
        if (w.workload.container) hour.container = w.workload.container;
        if (w.workload.job) hour.job = w.workload.job;
        perGpu.set(w.key, (entry = { hour, observed: 0, effective: 0, idleHeld: 0 }));
      }
      entry.observed += w.share;
      entry.effective += w.effective;
      entry.idleHeld += w.idleHeld;
      const { epochMin, epochMax } = w.workload;
      if (epochMin !== undefined) entry.hour.epochMin = Math.min(entry.hour.epochMin ?? epochMin, epochMin);
      if (epochMax !== undefined) entry.hour.epochMax = Math.max(entry.hour.epochMax ?? epochMax, epochMax);
    }
  };

  of(hostId: string, uuid: string): WorkloadHour[] | undefined {
    const perGpu = this.byGpu.get(`${hostId}\u0000${uuid}`);
    if (!perGpu) return undefined;
    return [...perGpu.values()].map(({ hour, observed, effective, idleHeld }) => ({
      ...hour,
      observedGpuHours: roundTo(observed / 60, 6),
      effectiveGpuHours: roundTo(effective / 60, 6),
      idleHeldGpuHours: roundTo(idleHeld / 60, 6),
    }));
  }
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
