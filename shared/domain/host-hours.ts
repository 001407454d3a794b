import { z } from 'zod';
import type { HostMinute } from './rollup.js';
import { counterIncrease, summarizeUtilization } from './utilization.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * One host's hour: what its GPUs did and what it served, folded from its minute rollups. The analysis keeps
 * these (not minutes) for its trailing windows, so 30 days of a 10,000-GPU fleet are 900,000 items of 8 GPUs,
 * not 54 million minutes. Effective GPU-hours follow the utilization basis of the fleet report (SM active,
 * else GR engine active, else GPU util).
 */
export const gpuHourSchema = z.object({
  uuid: z.string(),
  model: z.string(),
  observedGpuHours: z.number(),
  effectiveGpuHours: z.number(),
  /** Mean SM active over the minutes that had it; null when the GPU reports no profiling fields. */
  smActive: z.number().nullable(),
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
  energyKwh: z.number(),
  /** Tokens (prompt + generation) and requests served, by model, from the inference server counters. */
  inference: z.record(z.string(), z.object({ tokens: z.number(), requests: z.number() })),
});
export type HostHour = z.infer<typeof hostHourSchema>;

export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

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
    for (const host of report.hosts) {
      out.push({
        hostId: host.hostId,
        hour,
        pool: host.pool,
        instanceId: host.instanceId,
        instanceType: host.instanceType,
        provider: host.provider,
        region: host.region,
        gpus: host.gpus.map((g) => ({
          uuid: g.uuid,
          model: g.model,
          observedGpuHours: g.observedGpuHours,
          effectiveGpuHours: g.effectiveGpuHours,
          smActive: g.meanSmActive,
        })),
        observedGpuHours: host.totals.observedGpuHours,
        effectiveGpuHours: host.totals.effectiveGpuHours,
        energyKwh: host.totals.energyKWh,
        inference: servedByHost.get(host.hostId) ?? {},
      });
    }
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
