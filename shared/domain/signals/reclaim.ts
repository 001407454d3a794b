import type { WorkloadObservation } from '../economics/fleet-observations.js';
import { IDLE_ACTIVITY_CEILING, IDLE_HELD_MEMORY_FLOOR_MIB } from '../measurements/gpu-activity.js';
import { parseDecimal } from '../core/money.js';
import { roundTo } from '../core/statistics.js';
import { CURRENCY, cents, clampConfidence, count, dollars, percent, perMonth, signalId, type RaisedSignal } from './signal-terms.js';
import { HOUR_MS } from '../core/utc-time.js';

export interface ReclaimSettings {
  /** Share of a workload's GPU-hours idle with memory held (percent). */
  reclaimIdleHeldPercent: number;
  /** Fewest idle-held GPU-hours over the window. */
  reclaimMinIdleHeldGpuHours: number;
  /** The workload must have been seen within this many hours of the window's end. */
  reclaimRecentHours: number;
}

const kindWords = { pod: 'pod', job: 'job', host: 'host' } as const;

/**
 * reclaim: a pod, a job, or a host's unnamed GPUs that held GPUs idle with their memory in use (activity at or below
 * 1%, 1 GiB or more of framebuffer: a notebook left open, a stalled job) for at least half (50%, the default) of
 * the GPU-hours it used, at least 8 idle-held GPU-hours, and still seen in the last 24 hours of the window. Impact:
 * the idle-held cost at the rate it ran while seen (idle-held cost ÷ hours from first to last seen × 730). Confidence:
 * min(1, hours seen ÷ 24) × 1 when 90% or more of its GPU-hours were idle-held, else 0.8.
 */
export function reclaimSignals(workloads: readonly WorkloadObservation[], settings: ReclaimSettings): RaisedSignal[] {
  const out: RaisedSignal[] = [];
  for (const w of workloads) {
    const signal = reclaimSignal(w, settings);
    if (signal) out.push(signal);
  }
  return out;
}

function reclaimSignal(w: WorkloadObservation, settings: ReclaimSettings): RaisedSignal | null {
  if (!(w.observedGpuHours > 0) || w.idleHeldGpuHours < settings.reclaimMinIdleHeldGpuHours) return null;
  const share = roundTo(w.idleHeldGpuHours / w.observedGpuHours, 9);
  if (roundTo(share * 100, 6) < settings.reclaimIdleHeldPercent) return null;
  const lastSeen = Date.parse(w.lastSeen);
  if (Date.parse(w.windowEnd) - (lastSeen + HOUR_MS) > settings.reclaimRecentHours * HOUR_MS) return null;
  const hoursSeen = (lastSeen - Date.parse(w.firstSeen)) / HOUR_MS + 1;
  const idleHeldCost = parseDecimal(w.idleHeldCost);
  const impact = perMonth(idleHeldCost, hoursSeen);
  if (impact <= 0n) return null;
  const gpusHeld = w.idleHeldGpuHours / hoursSeen;
  const confidence = clampConfidence(Math.min(1, hoursSeen / 24) * (share >= 0.9 ? 1 : 0.8));
  const what = w.kind === 'host' ? `GPUs on host ${w.scope} that no workload named` : `${kindWords[w.kind]} ${w.scope}`;
  const where =
    w.kind === 'host'
      ? w.pool
        ? ` in pool ${w.pool}`
        : ''
      : ` on ${w.hosts.length === 1 ? `host ${w.hosts[0]}` : `${w.hosts.length} hosts`}${w.pool ? ` in pool ${w.pool}` : ''}`;
  return {
    signalId: signalId('reclaim', `${w.kind}:${w.scope}`),
    type: 'reclaim',
    subject: `${what}${where}`,
    title: `Reclaim ${count(roundTo(gpusHeld, 1))} GPU${roundTo(gpusHeld, 1) === 1 ? '' : 's'} held idle by ${what}`,
    summary:
      `${capitalize(what)}${where} kept GPU memory in use while doing nothing for ${percent(share)} of its ${count(roundTo(w.observedGpuHours, 1))} GPU-hours ` +
      `(${count(roundTo(w.idleHeldGpuHours, 1))} idle-held GPU-hours, ${dollars(idleHeldCost)}). ` +
      `Releasing what it holds would save about ${dollars(impact)} a month.`,
    monthlyImpact: cents(impact),
    currency: CURRENCY,
    confidence,
    evidence: {
      kind: w.kind,
      scope: w.scope,
      namespace: w.namespace,
      pod: w.pod,
      job: w.job,
      hosts: w.hosts.join(', '),
      gpus: w.gpus,
      observedGpuHours: w.observedGpuHours,
      effectiveGpuHours: w.effectiveGpuHours,
      idleHeldGpuHours: w.idleHeldGpuHours,
      idleHeldShare: roundTo(share, 4),
      idleHeldThresholdPercent: settings.reclaimIdleHeldPercent,
      idleActivityCeiling: IDLE_ACTIVITY_CEILING,
      memoryHeldFloorMiB: IDLE_HELD_MEMORY_FLOOR_MIB,
      firstSeen: w.firstSeen,
      lastSeen: w.lastSeen,
      hoursSeen: roundTo(hoursSeen, 2),
      averageGpusHeldIdle: roundTo(gpusHeld, 3),
      cost: w.cost,
      idleHeldCost: w.idleHeldCost,
      confidenceBasis: `hours seen ${roundTo(Math.min(1, hoursSeen / 24), 2)} × idle-held share ${share >= 0.9 ? '≥ 90% 1' : '< 90% 0.8'}`,
    },
    team: w.team,
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
