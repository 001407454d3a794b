import { CURRENCY, cents, clampConfidence, count, dollars, percent, perMonth, signalId, type RaisedSignal } from './signal-terms.js';
import type { GpuObservation, PoolObservation } from '../economics/fleet-observations.js';
import { divideDecimal, formatDecimal, multiplyDecimal, parseDecimal } from '../core/money.js';
import { MAD_SCALE, median, roundTo } from '../core/statistics.js';
import type { SignalSettings } from './signal-settings.js';

/**
 * GPUs of one model in one pool (at least 4 with a reading) whose throughput, tokens per GPU-hour (else SM active),
 * is below median − 3.5 × 1.4826 × MAD and at least 15% below the median. Impact: the GPU's monthly cost ×
 * (1 − its throughput ÷ median). Confidence: min(1, paid hours ÷ 168) × 1 for tokens, 0.8 for SM active (a proxy).
 */
export function replaceSignals(
  gpus: readonly GpuObservation[],
  pools: readonly PoolObservation[],
  settings: SignalSettings,
): RaisedSignal[] {
  const windowOf = new Map(pools.map((p) => [p.pool, p]));
  const groups = new Map<string, GpuObservation[]>();
  for (const gpu of gpus) {
    if (!gpu.gpuModel) continue;
    const key = `${gpu.pool}\u0000${gpu.gpuModel}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(gpu);
  }
  const signals: RaisedSignal[] = [];
  for (const group of groups.values()) {
    const withTokens = group.filter((g) => g.tokensPerGpuHour !== null);
    const basis = withTokens.length >= settings.replaceMinGroupGpus ? 'tokensPerGpuHour' : 'smActive';
    const measured = group.flatMap((g) => {
      const value = basis === 'tokensPerGpuHour' ? g.tokensPerGpuHour : g.smActive;
      return value === null ? [] : [{ gpu: g, value }];
    });
    if (measured.length < settings.replaceMinGroupGpus) continue;
    const values = measured.map((m) => m.value);
    const mid = median(values);
    if (!(mid > 0)) continue;
    const mad = median(values.map((v) => Math.abs(v - mid)));
    const robustFloor = mid - settings.replaceMadMultiplier * MAD_SCALE * mad;
    const shortfallFloor = mid * (1 - settings.replaceMinShortfallPercent / 100);
    const cutoff = Math.min(robustFloor, shortfallFloor);
    for (const { gpu, value } of measured) {
      if (!(value < cutoff)) continue;
      const pool = windowOf.get(gpu.pool);
      const windowHours = pool && pool.windowHours > 0 ? pool.windowHours : gpu.paidGpuHours;
      if (!(windowHours > 0)) continue;
      const monthlyCost = perMonth(parseDecimal(gpu.cost), windowHours);
      const shortfall = parseDecimal(1) - divideDecimal(parseDecimal(value), parseDecimal(mid));
      const impact = multiplyDecimal(monthlyCost, shortfall);
      if (impact <= 0n) continue;
      const shortfallShare = Number(formatDecimal(shortfall));
      const score = mad > 0 ? roundTo((value - mid) / (MAD_SCALE * mad), 2) : null;
      const unit = basis === 'tokensPerGpuHour' ? 'tokens per GPU-hour' : 'SM active';
      const show = (v: number) => (basis === 'tokensPerGpuHour' ? count(roundTo(v, 1)) : roundTo(v, 3).toString());
      const hoursFactor = Math.min(1, gpu.paidGpuHours / 168);
      const basisFactor = basis === 'tokensPerGpuHour' ? 1 : 0.8;
      signals.push({
        signalId: signalId('replace', `gpu:${gpu.pool}:${gpu.uuid}`),
        type: 'replace',
        subject: `GPU ${gpu.uuid} on ${gpu.hostId} (pool ${gpu.pool}, ${gpu.gpuModel})`,
        title: `Replace slow ${gpu.gpuModel} ${gpu.uuid} on ${gpu.hostId}`,
        summary:
          `GPU ${gpu.uuid} on ${gpu.hostId} in pool ${gpu.pool} reads ${show(value)} ${unit}, ${percent(shortfallShare)} below the median of its ` +
          `${measured.length} ${gpu.gpuModel} GPUs (${show(mid)}${score === null ? '' : `; robust score ${score}`}). ` +
          `It wastes about ${dollars(impact)} of its ${dollars(monthlyCost)} a month: have it checked or replaced.`,
        monthlyImpact: cents(impact),
        currency: CURRENCY,
        confidence: clampConfidence(hoursFactor * basisFactor),
        evidence: {
          metric: basis,
          value: roundTo(value, 4),
          groupMedian: roundTo(mid, 4),
          groupMad: roundTo(mad, 4),
          groupGpus: measured.length,
          robustScore: score,
          madMultiplier: settings.replaceMadMultiplier,
          cutoff: roundTo(cutoff, 4),
          shortfall: roundTo(shortfallShare, 4),
          paidGpuHours: gpu.paidGpuHours,
          cost: gpu.cost,
          monthlyCost: cents(monthlyCost),
          confidenceBasis: `hours ${roundTo(hoursFactor, 2)} × metric ${basisFactor}`,
        },
        team: pool?.team ?? null,
      });
    }
  }
  return signals;
}
