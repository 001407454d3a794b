import { CURRENCY, cents, clampConfidence, count, dollars, percent, signalId, type RaisedSignal } from './signal-terms.js';
import type {
  CapacityObservation,
  CapacityReservationObservation,
  GpuQuotaObservation,
  SpotPlacementScoreObservation,
} from '../market/capacity.js';
import type { PoolObservation } from '../economics/fleet-observations.js';
import { type Decimal, compareDecimal, divideDecimalByInteger, formatDecimal, multiplyDecimal, parseDecimal } from '../core/money.js';
import { roundTo } from '../core/statistics.js';
import type { SignalSettings } from './signal-settings.js';
import {
  paidGpuHoursPerMonth,
  ratio,
  agreement,
  poolCategory,
  type MarketOffer,
  offerLabel,
  offersLike,
  cheapest,
  poolSubject,
} from './market-offers.js';

/**
 * Spot placement score → interruption rate: 10 → 5%, each point less adds 5%, 1 → 50%:
 * rate = (11 − score) × 5%. The risk-adjusted spot price is price ÷ (1 − rate) = price × 20 ÷ (9 + score).
 */
export function interruptionRate(score: number): number {
  return roundTo((11 - score) * 0.05, 4);
}

function riskAdjusted(price: Decimal, score: number): Decimal {
  return divideDecimalByInteger(price * 20n, 9 + score);
}

interface Capacity {
  status: 'fits' | 'short' | 'unknown';
  basis: string;
}

interface Alternative {
  offer: MarketOffer;
  effectivePerGpuHour: Decimal;
  placementScore: number | null;
  interruptionRate: number | null;
  capacity: Capacity;
  instancesNeeded: number;
}

function placementScore(offer: MarketOffer, capacity: readonly CapacityObservation[]): number | null {
  if (!offer.instanceType) return null;
  const scores = capacity
    .filter(
      (o): o is SpotPlacementScoreObservation =>
        o.kind === 'spot-placement-score' && o.provider === offer.provider && o.region === offer.region,
    )
    .filter((o) => o.instanceTypes.some((t) => t.toLowerCase() === offer.instanceType!.toLowerCase()))
    .map((o) => o.score);
  // Scores are per Availability Zone ID, prices per zone name; the two cannot be joined, so the region's best zone counts.
  return scores.length ? Math.max(...scores) : null;
}

function quotaFor(
  offer: MarketOffer,
  purchase: 'on-demand' | 'spot',
  capacity: readonly CapacityObservation[],
): GpuQuotaObservation | undefined {
  return capacity.find(
    (o): o is GpuQuotaObservation =>
      o.kind === 'gpu-quota' &&
      o.provider === offer.provider &&
      o.region === offer.region &&
      o.purchase === purchase &&
      offer.instanceType !== null &&
      offer.instanceType in o.maxInstances,
  );
}

function alternativeCapacity(
  offer: MarketOffer,
  score: number | null,
  needed: number,
  capacity: readonly CapacityObservation[],
  settings: SignalSettings,
): Capacity {
  if (offer.category === 'spot') {
    if (score !== null && score < settings.minPlacementScore)
      return { status: 'short', basis: `spot placement score ${score} < ${settings.minPlacementScore}` };
    const quota = quotaFor(offer, 'spot', capacity);
    const fitsQuota = quota ? quota.maxInstances[offer.instanceType!]! >= needed : null;
    if (fitsQuota === false)
      return {
        status: 'short',
        basis: `spot quota ${quota!.quotaCode} allows ${quota!.maxInstances[offer.instanceType!]} ${offer.instanceType}, ${needed} needed`,
      };
    if (score !== null)
      return {
        status: 'fits',
        basis: `spot placement score ${score}${quota ? `; quota allows ${quota.maxInstances[offer.instanceType!]} instances` : ''}`,
      };
    return { status: 'unknown', basis: `no spot placement score; ${settings.unknownPlacementScore} assumed` };
  }
  const reservation = capacity.find(
    (o): o is CapacityReservationObservation =>
      o.kind === 'capacity-reservation' &&
      o.provider === offer.provider &&
      o.region === offer.region &&
      o.state === 'active' &&
      offer.instanceType !== null &&
      o.instanceType.toLowerCase() === offer.instanceType.toLowerCase() &&
      o.availableInstances >= needed,
  );
  if (reservation)
    return {
      status: 'fits',
      basis: `capacity reservation ${reservation.reservationId} has ${reservation.availableInstances} instances available`,
    };
  const quota = quotaFor(offer, 'on-demand', capacity);
  if (quota) {
    const allowed = quota.maxInstances[offer.instanceType!]!;
    return allowed >= needed
      ? { status: 'fits', basis: `on-demand quota ${quota.quotaCode} allows ${allowed} ${offer.instanceType}` }
      : { status: 'short', basis: `on-demand quota ${quota.quotaCode} allows ${allowed} ${offer.instanceType}, ${needed} needed` };
  }
  return { status: 'unknown', basis: 'no quota or capacity reservation known' };
}

/**
 * The same GPU model at least LEDGER_MOVE_MARGIN_PERCENT cheaper per GPU-hour (spot adjusted for interruption risk)
 * on-demand or spot in another region, provider or pricing category, with capacity (placement score at least 5,
 * or a quota or reservation that fits the pool, where known). The current price is what the pool actually pays.
 * Impact: (current − alternative) × paid GPU-hours a month. Committed pools cannot move before their term ends.
 * Confidence: capacity (fits 1, unknown 0.6) × agreement of the pool's actual price with its own offer's market price
 * (0.8 when that offer has no price) × 0.5 when the alternative is a GPU-only SKU price (Google Cloud).
 */
export function moveSignal(
  pool: PoolObservation,
  offers: readonly MarketOffer[],
  capacity: readonly CapacityObservation[],
  settings: SignalSettings,
): RaisedSignal | null {
  if (pool.pricingCategory === 'Committed') return null;
  if (!pool.gpuModel || pool.costPerPaidGpuHour === null || pool.paidGpuHours <= 0 || pool.windowHours <= 0) return null;
  const current = parseDecimal(pool.costPerPaidGpuHour);
  const ownCategory = pool.pricingCategory ? poolCategory[pool.pricingCategory] : null;
  const gpusNeeded = pool.gpus > 0 ? pool.gpus : Math.ceil(pool.paidGpuHours / pool.windowHours);
  const ceiling = multiplyDecimal(current, parseDecimal(100 - settings.moveMarginPercent));

  const alternatives: Alternative[] = [];
  for (const offer of offers) {
    if (offer.gpuModel !== pool.gpuModel || (offer.category !== 'on-demand' && offer.category !== 'spot')) continue;
    if (offer.provider === pool.provider && offer.region === pool.region && (ownCategory === null || offer.category === ownCategory))
      continue;
    const needed = Math.ceil(gpusNeeded / offer.gpuCount);
    const score = offer.category === 'spot' ? placementScore(offer, capacity) : null;
    const cap = alternativeCapacity(offer, score, needed, capacity, settings);
    if (cap.status === 'short') continue;
    const scoreUsed = offer.category === 'spot' ? (score ?? settings.unknownPlacementScore) : null;
    const effective = scoreUsed === null ? offer.pricePerGpuHour : riskAdjusted(offer.pricePerGpuHour, scoreUsed);
    if (effective * 100n > ceiling) continue;
    alternatives.push({
      offer,
      effectivePerGpuHour: effective,
      placementScore: score,
      interruptionRate: scoreUsed === null ? null : interruptionRate(scoreUsed),
      capacity: cap,
      instancesNeeded: needed,
    });
  }
  const capacityRank = { fits: 0, unknown: 1, short: 2 } as const;
  alternatives.sort(
    (a, b) =>
      compareDecimal(a.effectivePerGpuHour, b.effectivePerGpuHour) ||
      capacityRank[a.capacity.status] - capacityRank[b.capacity.status] ||
      a.offer.key.localeCompare(b.offer.key),
  );
  const best = alternatives[0];
  if (!best) return null;

  const hoursPerMonth = paidGpuHoursPerMonth(pool);
  const impact = multiplyDecimal(current - best.effectivePerGpuHour, hoursPerMonth);
  if (impact <= 0n) return null;
  const saving = ratio(current - best.effectivePerGpuHour, current);
  const own =
    pool.provider && pool.region && ownCategory
      ? cheapest(offersLike(pool, offers, { provider: pool.provider, region: pool.region, category: ownCategory }))
      : undefined;
  const priceAgreement = own ? agreement(current, own.pricePerGpuHour) : 0.8;
  const capacityFactor = best.capacity.status === 'fits' ? 1 : 0.6;
  // Google Cloud prices GPUs as SKUs apart from the machine's vCPUs and memory, so such an offer understates the move's cost.
  const gpuOnly = best.offer.instanceType === null;
  const priceScopeFactor = gpuOnly ? 0.5 : 1;
  const confidence = clampConfidence(capacityFactor * priceAgreement * priceScopeFactor);
  const target = offerLabel(best.offer);
  const adjusted =
    best.interruptionRate === null
      ? ''
      : ` (${dollars(best.offer.pricePerGpuHour)} list, adjusted for a ${percent(best.interruptionRate, 0)} interruption rate at placement score ${best.placementScore ?? `${settings.unknownPlacementScore}, assumed`})`;
  return {
    signalId: signalId('move', `pool:${pool.pool}`),
    type: 'move',
    subject: poolSubject(pool),
    title: `Move pool ${pool.pool} to ${target}`,
    summary:
      `Pool ${pool.pool} pays ${dollars(current)} per ${pool.gpuModel} GPU-hour; ${target} costs ${dollars(best.effectivePerGpuHour)}${adjusted}, ` +
      `${percent(saving)} less (capacity: ${best.capacity.basis}${gpuOnly ? '; GPU price only, the machine is extra' : ''}). Moving its ${count(Number(formatDecimal(hoursPerMonth)))} paid GPU-hours a month would save about ${dollars(impact)} a month.`,
    monthlyImpact: cents(impact),
    currency: CURRENCY,
    confidence,
    evidence: {
      currentPerGpuHour: formatDecimal(current),
      currentOfferMarketPerGpuHour: own ? formatDecimal(own.pricePerGpuHour) : null,
      alternativeOffer: target,
      alternativeListPerGpuHour: formatDecimal(best.offer.pricePerGpuHour),
      alternativeZones: best.offer.zones,
      alternativePriceIsGpuOnly: gpuOnly,
      alternativeEffectivePerGpuHour: formatDecimal(best.effectivePerGpuHour),
      placementScore: best.placementScore,
      placementScoreAssumed: best.offer.category === 'spot' && best.placementScore === null,
      interruptionRate: best.interruptionRate,
      interruptionMapping: 'rate = (11 − placement score) × 5%: 10 → 5%, 1 → 50%; price ÷ (1 − rate)',
      capacity: best.capacity.status,
      capacityBasis: best.capacity.basis,
      instancesNeeded: best.instancesNeeded,
      savingPercent: roundTo(saving * 100, 2),
      marginPercent: settings.moveMarginPercent,
      paidGpuHoursPerMonth: formatDecimal(hoursPerMonth),
      alternativesConsidered: alternatives.length,
      confidenceBasis: `capacity ${capacityFactor} × price agreement ${roundTo(priceAgreement, 2)} × price scope ${priceScopeFactor}`,
    },
    team: pool.team,
  };
}
