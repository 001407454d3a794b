import { CURRENCY, cents, clampConfidence, count, dollars, percent, perMonth, signalId, type RaisedSignal } from './signal-terms.js';
import type { PoolObservation } from '../economics/fleet-observations.js';
import { formatDecimal, multiplyDecimal, parseDecimal } from '../core/money.js';
import { roundTo } from '../core/statistics.js';
import type { SignalSettings } from './signal-settings.js';
import {
  paidGpuHoursPerMonth,
  ratio,
  agreement,
  percentile,
  type MarketOffer,
  offerLabel,
  offersLike,
  cheapest,
  poolSubject,
} from './market-offers.js';

interface CommitPrices {
  region: string;
  onDemand: MarketOffer;
  committed: MarketOffer;
  fallback: boolean;
  /** Other regions that had both prices (fallback only). */
  candidates: number;
}

/**
 * On-demand and 1-year committed prices of the pool's GPU from its provider and region; else from the provider's
 * other regions that have both, taking the region with the median break-even (so no one region's outlier decides).
 */
function commitPrices(pool: PoolObservation, offers: readonly MarketOffer[]): CommitPrices | undefined {
  const pricesIn = (region: string) => {
    const onDemand = cheapest(offersLike(pool, offers, { provider: pool.provider!, region, category: 'on-demand' }));
    const committed = cheapest(offersLike(pool, offers, { provider: pool.provider!, region, category: 'reserved', term: '1yr' }));
    return onDemand && committed && onDemand.pricePerGpuHour > 0n ? { region, onDemand, committed } : undefined;
  };
  const local = pricesIn(pool.region!);
  if (local) return { ...local, fallback: false, candidates: 1 };
  const regions = [
    ...new Set(
      offers.filter((o) => o.provider === pool.provider && o.gpuModel === pool.gpuModel && o.region !== pool.region).map((o) => o.region),
    ),
  ].sort();
  const found = regions.map(pricesIn).filter((p) => p !== undefined);
  if (found.length === 0) return undefined;
  found.sort(
    (a, b) =>
      ratio(a.committed.pricePerGpuHour, a.onDemand.pricePerGpuHour) - ratio(b.committed.pricePerGpuHour, b.onDemand.pricePerGpuHour) ||
      a.region.localeCompare(b.region),
  );
  return { ...found[Math.floor((found.length - 1) / 2)]!, fallback: true, candidates: found.length };
}

/**
 * Sustained effective utilization (the 25th percentile of daily effective utilization) at or above the break-even of
 * a 1-year commitment (committed ÷ on-demand price per GPU-hour). Impact: the pool's monthly spend − what its
 * GPUs (the average paid) would cost committed for the whole month. Not for pools already committed.
 * Confidence: days observed (of 30) × agreement of the pool's actual price with the on-demand price × 0.8 when
 * the prices come from another region.
 */
export function commitSignal(pool: PoolObservation, offers: readonly MarketOffer[], settings: SignalSettings): RaisedSignal | null {
  if (pool.pricingCategory === 'Committed') return null;
  if (!pool.provider || !pool.region || !pool.gpuModel || pool.paidGpuHours <= 0 || pool.windowHours <= 0) return null;
  const days = pool.dailyEffectiveUtilization.filter((u): u is number => u !== null);
  if (days.length < settings.commitMinDaysObserved) return null;
  const sustained = percentile(days, settings.commitUtilizationPercentile / 100);
  const prices = commitPrices(pool, offers);
  if (!prices) return null;
  const onDemand = prices.onDemand.pricePerGpuHour;
  const committed = prices.committed.pricePerGpuHour;
  const breakEven = ratio(committed, onDemand);
  if (sustained < breakEven) return null;

  const monthlySpend = perMonth(parseDecimal(pool.cost), pool.windowHours);
  const hoursPerMonth = paidGpuHoursPerMonth(pool);
  const monthlyCommitted = multiplyDecimal(committed, hoursPerMonth);
  const impact = monthlySpend - monthlyCommitted;
  if (impact <= 0n) return null;

  const gpus = roundTo(pool.paidGpuHours / pool.windowHours, 2);
  const actual = pool.costPerPaidGpuHour === null ? null : parseDecimal(pool.costPerPaidGpuHour);
  const priceAgreement = actual === null ? 0.8 : agreement(actual, onDemand);
  const daysFactor = Math.min(1, days.length / 30);
  const regionFactor = prices.fallback ? 0.8 : 1;
  const confidence = clampConfidence(daysFactor * priceAgreement * regionFactor);
  const pricesFrom = prices.fallback
    ? `${pool.provider} ${prices.region} (no ${pool.provider} ${pool.region} price pair; median break-even of ${prices.candidates} other region${prices.candidates === 1 ? '' : 's'})`
    : `${pool.provider} ${prices.region}`;
  return {
    signalId: signalId('commit', `pool:${pool.pool}`),
    type: 'commit',
    subject: poolSubject(pool),
    title: `Commit pool ${pool.pool}'s ${pool.gpuModel} GPUs for a year`,
    summary:
      `Pool ${pool.pool} ran at ${percent(sustained)} effective utilization or more on three days in four ` +
      `(${settings.commitUtilizationPercentile}th percentile of ${days.length} days observed), above the ${percent(breakEven)} break-even of a ` +
      `1-year commitment (${pricesFrom}: ${dollars(committed)} committed vs ${dollars(onDemand)} on-demand per GPU-hour). ` +
      `Committing its ${count(gpus)} GPUs would cost ${dollars(monthlyCommitted)} a month instead of ${dollars(monthlySpend)}: about ${dollars(impact)} saved a month.`,
    monthlyImpact: cents(impact),
    currency: CURRENCY,
    confidence,
    evidence: {
      sustainedEffectiveUtilization: roundTo(sustained, 4),
      utilizationPercentile: settings.commitUtilizationPercentile,
      daysObserved: days.length,
      daysInWindow: pool.dailyEffectiveUtilization.length,
      onDemandPerGpuHour: formatDecimal(onDemand),
      committedPerGpuHour: formatDecimal(committed),
      commitmentTerm: '1yr',
      onDemandOffer: offerLabel(prices.onDemand),
      committedOffer: `${offerLabel(prices.committed)}${prices.committed.variant ? ` ${prices.committed.variant}` : ''}`,
      breakEvenUtilization: roundTo(breakEven, 4),
      pricesRegion: prices.region,
      pricesFromOtherRegion: prices.fallback,
      actualPerPaidGpuHour: pool.costPerPaidGpuHour,
      paidGpuHoursPerMonth: formatDecimal(hoursPerMonth),
      gpusToCommit: gpus,
      monthlySpend: cents(monthlySpend),
      monthlyCommittedCost: cents(monthlyCommitted),
      confidenceBasis: `days ${roundTo(daysFactor, 2)} × price agreement ${roundTo(priceAgreement, 2)} × region ${regionFactor}`,
    },
    team: pool.team,
  };
}
