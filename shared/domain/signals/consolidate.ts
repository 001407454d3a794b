import { CURRENCY, cents, clampConfidence, count, dollars, percent, perMonth, signalId, type RaisedSignal } from './signal-terms.js';
import type { PoolObservation } from '../economics/fleet-observations.js';
import { divideDecimalByInteger, multiplyDecimal, parseDecimal } from '../core/money.js';
import { roundTo } from '../core/statistics.js';
import type { SignalSettings } from './signal-settings.js';
import { poolSubject } from './market-offers.js';

/**
 * At least LEDGER_CONSOLIDATE_IDLE_PERCENT of paid GPU-hours idle (1 − effective ÷ paid), and the effective load
 * (average effective GPUs) fits on fewer hosts at 80% utilization. Impact: hosts released × the pool's cost per
 * host-month. Confidence: share of the window's days with data × 0.7 when the busiest day would not fit.
 */
export function consolidateSignal(pool: PoolObservation, settings: SignalSettings): RaisedSignal | null {
  if (pool.paidGpuHours <= 0 || pool.windowHours <= 0 || pool.hosts < 2 || pool.gpus <= 0) return null;
  const idleShare = roundTo(1 - pool.effectiveGpuHours / pool.paidGpuHours, 9);
  if (roundTo(idleShare * 100, 6) < settings.consolidateIdlePercent) return null;
  const gpusPerHost = pool.gpus / pool.hosts;
  const target = settings.consolidateTargetUtilization;
  const effectiveGpus = pool.effectiveGpuHours / pool.windowHours;
  const hostsFor = (gpus: number) => Math.max(1, Math.ceil(roundTo(gpus / target / gpusPerHost, 9)));
  const hostsNeeded = hostsFor(effectiveGpus);
  const released = pool.hosts - hostsNeeded;
  if (released < 1) return null;

  const monthlyCost = perMonth(parseDecimal(pool.cost), pool.windowHours);
  const perHostMonth = divideDecimalByInteger(monthlyCost, pool.hosts);
  const impact = divideDecimalByInteger(monthlyCost * BigInt(released), pool.hosts);
  if (impact <= 0n) return null;
  const idleCost = multiplyDecimal(monthlyCost, parseDecimal(idleShare));

  const days = pool.dailyEffectiveUtilization.filter((u): u is number => u !== null);
  const coverage = pool.dailyEffectiveUtilization.length ? days.length / pool.dailyEffectiveUtilization.length : 1;
  const peak = days.length ? Math.max(...days) : null;
  const peakFits = peak === null || hostsFor(peak * pool.gpus) <= hostsNeeded;
  const confidence = clampConfidence(coverage * (peakFits ? 1 : 0.7));
  return {
    signalId: signalId('consolidate', `pool:${pool.pool}`),
    type: 'consolidate',
    subject: poolSubject(pool),
    title: `Consolidate pool ${pool.pool}: release ${released} of ${pool.hosts} hosts`,
    summary:
      `Pool ${pool.pool}'s GPUs were idle for ${percent(idleShare)} of ${count(pool.paidGpuHours)} paid GPU-hours (${dollars(idleCost)} a month); ` +
      `its load (${count(roundTo(effectiveGpus, 1))} effective GPUs on average) fits on ${hostsNeeded} of its ${pool.hosts} hosts at ${percent(target, 0)} utilization. ` +
      `Releasing ${released} host${released === 1 ? '' : 's'} would save about ${dollars(impact)} a month.`,
    monthlyImpact: cents(impact),
    currency: CURRENCY,
    confidence,
    evidence: {
      idleShare: roundTo(idleShare, 4),
      idleThresholdPercent: settings.consolidateIdlePercent,
      paidGpuHours: pool.paidGpuHours,
      effectiveGpuHours: pool.effectiveGpuHours,
      windowHours: pool.windowHours,
      hosts: pool.hosts,
      gpus: pool.gpus,
      averageEffectiveGpus: roundTo(effectiveGpus, 3),
      targetUtilization: target,
      hostsNeeded,
      hostsReleased: released,
      costPerHostMonth: cents(perHostMonth),
      monthlyCost: cents(monthlyCost),
      monthlyIdleCost: cents(idleCost),
      peakDayEffectiveUtilization: peak === null ? null : roundTo(peak, 4),
      confidenceBasis: `days with data ${roundTo(coverage, 2)} × busiest day ${peakFits ? 'fits 1' : 'does not fit 0.7'}`,
    },
    team: pool.team,
  };
}
