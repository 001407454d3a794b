import { reclaimSignals } from './signals/reclaim.js';
import { CURRENCY, HOURS_PER_MONTH, cents, clampConfidence, count, dollars, percent, perMonth, signalId, type RaisedSignal } from './signals/signal-terms.js';
import type { CapacityObservation, CapacityReservationObservation, GpuQuotaObservation, SpotPlacementScoreObservation } from './capacity.js';
import type { GpuObservation, PoolObservation, WorkloadObservation } from './fleet-observations.js';
import { type Decimal, compareDecimal, divideDecimal, divideDecimalByInteger, formatDecimal, multiplyDecimal, parseDecimal } from './money.js';
import type { GpuPriceCategory, GpuPricePoint } from './price-points.js';
import { MAD_SCALE, median, roundTo } from './statistics.js';

/**
 * Recontracting signals: which contracts to change, with the numbers used, the dollars a month at stake and how
 * sure we are. Pure: the pools and GPUs the analysis observed, the market's prices (latest and history) and
 * capacity come in; signals without times come out (the signal store adds firstRaisedAt and updatedAt).
 *
 * Every amount is an exact decimal; a month is 730 hours. Prices are compared per GPU-hour, in USD.
 */

export { HOURS_PER_MONTH, signalId, type RaisedSignal };
const DAY_MS = 86_400_000;

export interface SignalSettings {
  /** move: the alternative must be at least this much cheaper, after interruption risk (LEDGER_MOVE_MARGIN_PERCENT). */
  moveMarginPercent: number;
  /** consolidate: share of paid GPU-hours idle (LEDGER_CONSOLIDATE_IDLE_PERCENT). */
  consolidateIdlePercent: number;
  /** renegotiate: move of a price against its trailing median (LEDGER_RENEGOTIATE_THRESHOLD_PERCENT). */
  renegotiateThresholdPercent: number;
  /** commit: the percentile of daily effective utilization that counts as sustained. */
  commitUtilizationPercentile: number;
  /** commit: fewest days with data before utilization counts as sustained. */
  commitMinDaysObserved: number;
  /** move: spot offers with a known placement score below this lack capacity. */
  minPlacementScore: number;
  /** move: the placement score assumed where none is known (Azure, Google Cloud, uncollected regions). */
  unknownPlacementScore: number;
  /** consolidate: the utilization the remaining hosts may run at. */
  consolidateTargetUtilization: number;
  /** replace: robust outlier threshold in scaled MADs below the median. */
  replaceMadMultiplier: number;
  /** replace: an outlier must also be at least this far below the median. */
  replaceMinShortfallPercent: number;
  /** replace: fewest GPUs of one model in one pool with a reading. */
  replaceMinGroupGpus: number;
  /** renegotiate: the trailing window of the median. */
  renegotiateTrailingDays: number;
  /** reclaim: share of a workload's GPU-hours idle with memory held. */
  reclaimIdleHeldPercent: number;
  /** reclaim: fewest idle-held GPU-hours over the window. */
  reclaimMinIdleHeldGpuHours: number;
  /** reclaim: the workload must have been seen within this many hours of the window's end (still holding). */
  reclaimRecentHours: number;
}

export const defaultSignalSettings: SignalSettings = {
  moveMarginPercent: 15,
  consolidateIdlePercent: 60,
  renegotiateThresholdPercent: 10,
  commitUtilizationPercentile: 25,
  commitMinDaysObserved: 7,
  minPlacementScore: 5,
  unknownPlacementScore: 5,
  consolidateTargetUtilization: 0.8,
  replaceMadMultiplier: 3.5,
  replaceMinShortfallPercent: 15,
  replaceMinGroupGpus: 4,
  renegotiateTrailingDays: 30,
  reclaimIdleHeldPercent: 50,
  reclaimMinIdleHeldGpuHours: 8,
  reclaimRecentHours: 24,
};

/** The settings from the validated configuration's analysis keys; the rest keep their defaults. */
export function signalSettings(config: {
  LEDGER_MOVE_MARGIN_PERCENT: number;
  LEDGER_CONSOLIDATE_IDLE_PERCENT: number;
  LEDGER_RENEGOTIATE_THRESHOLD_PERCENT: number;
}): SignalSettings {
  return {
    ...defaultSignalSettings,
    moveMarginPercent: config.LEDGER_MOVE_MARGIN_PERCENT,
    consolidateIdlePercent: config.LEDGER_CONSOLIDATE_IDLE_PERCENT,
    renegotiateThresholdPercent: config.LEDGER_RENEGOTIATE_THRESHOLD_PERCENT,
  };
}

export interface SignalInputs {
  pools: readonly PoolObservation[];
  gpus: readonly GpuObservation[];
  /** Pods, jobs and unnamed host GPU-hours that held GPUs idle (the reclaim signal); none when absent. */
  workloads?: readonly WorkloadObservation[];
  /** The latest price of every offer of the pools' GPU models. */
  latestPrices: readonly GpuPricePoint[];
  /** Price points of the trailing window (and before it, so the price in effect at its start is known). */
  priceHistory: readonly GpuPricePoint[];
  /** The latest capacity observations: spot placement scores, capacity reservations, GPU quotas. */
  capacity: readonly CapacityObservation[];
  nowMs: number;
}

/** Every signal the inputs raise, largest monthly impact first. */
export function computeSignals(inputs: SignalInputs, settings: SignalSettings): RaisedSignal[] {
  const offers = marketOffers(inputs.latestPrices);
  const signals: RaisedSignal[] = [];
  for (const pool of inputs.pools) {
    const commit = commitSignal(pool, offers, settings);
    if (commit) signals.push(commit);
    const move = moveSignal(pool, offers, inputs.capacity, settings);
    if (move) signals.push(move);
    const consolidate = consolidateSignal(pool, settings);
    if (consolidate) signals.push(consolidate);
  }
  signals.push(...reclaimSignals(inputs.workloads ?? [], settings));
  signals.push(...replaceSignals(inputs.gpus, inputs.pools, settings));
  signals.push(...renegotiateSignals(inputs, settings));
  return signals.sort((a, b) => compareDecimal(parseDecimal(b.monthlyImpact), parseDecimal(a.monthlyImpact)) || a.signalId.localeCompare(b.signalId));
}

// ---------------------------------------------------------------------------------------------------------
// Numbers

function paidGpuHoursPerMonth(pool: PoolObservation): Decimal {
  return perMonth(parseDecimal(pool.paidGpuHours), pool.windowHours);
}

/** a / b as a number (ratios of prices). */
function ratio(a: Decimal, b: Decimal): number {
  return Number(formatDecimal(divideDecimal(a, b)));
}

/** How well two prices agree: the smaller over the larger (1 when equal). */
function agreement(a: Decimal, b: Decimal): number {
  if (a <= 0n || b <= 0n) return 0;
  return a < b ? ratio(a, b) : ratio(b, a);
}


/** Linear interpolation between closest ranks (the spreadsheet PERCENTILE). `q` in [0, 1]; values non-empty. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lower = Math.floor(h);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower]! + (h - lower) * (sorted[upper]! - sorted[lower]!);
}

function medianDecimal(values: readonly Decimal[]): Decimal {
  const sorted = [...values].sort(compareDecimal);
  const mid = Math.floor((sorted.length - 1) / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : divideDecimalByInteger(sorted[mid]! + sorted[mid + 1]!, 2);
}

// ---------------------------------------------------------------------------------------------------------
// Market offers: one offer = provider, region, instance type or SKU, category, term and variant; zones of one
// offer (AWS spot) are folded into the median of their prices, since a pool does not choose its zone's price.

const poolCategory = { Standard: 'on-demand', Dynamic: 'spot', Committed: 'reserved' } as const satisfies Record<string, GpuPriceCategory>;
const categoryWords: Record<GpuPriceCategory, string> = { 'on-demand': 'on-demand', spot: 'spot', reserved: 'committed', 'capacity-block': 'capacity block' };

/** What an offer sells, apart from its price: the same in every zone of the offer. */
interface OfferIdentity {
  provider: GpuPricePoint['provider'];
  region: string;
  instanceType: string | null;
  sku: string | null;
  gpuModel: string;
  gpuCount: number;
  category: GpuPriceCategory;
  term: GpuPricePoint['term'];
  variant: string | null;
}

interface MarketOffer extends OfferIdentity {
  key: string;
  /** Median over zones of the latest price per GPU-hour. */
  pricePerGpuHour: Decimal;
  zones: number;
}

function offerKeyOf(p: GpuPricePoint): string {
  return [p.provider, p.region, p.instanceType ?? p.sku ?? '-', p.pricingCategory, p.term ?? '-', p.variant ?? '-'].join('#');
}

function offerIdentityOf(p: GpuPricePoint): OfferIdentity {
  return {
    provider: p.provider,
    region: p.region,
    instanceType: p.instanceType,
    sku: p.sku,
    gpuModel: p.gpuModel,
    gpuCount: p.gpuCount,
    category: p.pricingCategory,
    term: p.term,
    variant: p.variant,
  };
}

function offerLabel(o: Pick<MarketOffer, 'provider' | 'region' | 'instanceType' | 'sku' | 'gpuModel' | 'category' | 'term'>): string {
  const what = o.instanceType ?? (o.sku ? `${o.gpuModel} (SKU ${o.sku})` : o.gpuModel);
  return `${o.provider} ${o.region} ${what} ${categoryWords[o.category]}${o.term ? ` ${o.term}` : ''}`;
}

function marketOffers(points: readonly GpuPricePoint[]): MarketOffer[] {
  const byOffer = new Map<string, Map<string, GpuPricePoint>>();
  for (const p of points) {
    if (p.currency !== CURRENCY) continue;
    const key = offerKeyOf(p);
    const zones = byOffer.get(key) ?? new Map<string, GpuPricePoint>();
    const zone = p.zone ?? '-';
    const seen = zones.get(zone);
    if (!seen || seen.observedAt < p.observedAt) zones.set(zone, p);
    byOffer.set(key, zones);
  }
  return [...byOffer].map(([key, zones]) => {
    const list = [...zones.values()];
    return {
      key,
      ...offerIdentityOf(list[0]!),
      pricePerGpuHour: medianDecimal(list.map((p) => parseDecimal(p.pricePerGpuHour))),
      zones: list.length,
    };
  });
}

/** Offers of the pool's GPU model in one provider and region and category; its own instance type's when there are any. */
function offersLike(pool: PoolObservation, offers: readonly MarketOffer[], where: { provider: string; region: string; category: GpuPriceCategory; term?: '1yr' }): MarketOffer[] {
  const found = offers.filter(
    (o) => o.gpuModel === pool.gpuModel && o.provider === where.provider && o.region === where.region && o.category === where.category && (!where.term || o.term === where.term),
  );
  const sameType = pool.instanceType ? found.filter((o) => o.instanceType?.toLowerCase() === pool.instanceType!.toLowerCase()) : [];
  return sameType.length > 0 ? sameType : found;
}

function cheapest(offers: readonly MarketOffer[]): MarketOffer | undefined {
  return [...offers].sort((a, b) => compareDecimal(a.pricePerGpuHour, b.pricePerGpuHour) || a.key.localeCompare(b.key))[0];
}

function poolSubject(pool: PoolObservation): string {
  const place = [pool.provider, pool.region].filter(Boolean).join(' ');
  const parts = [pool.gpuModel, place || null, pool.pricingCategory ? categoryWords[poolCategory[pool.pricingCategory]] : null].filter(Boolean);
  return `pool ${pool.pool}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------
// 1. commit

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
  const regions = [...new Set(offers.filter((o) => o.provider === pool.provider && o.gpuModel === pool.gpuModel && o.region !== pool.region).map((o) => o.region))].sort();
  const found = regions.map(pricesIn).filter((p) => p !== undefined);
  if (found.length === 0) return undefined;
  found.sort((a, b) => ratio(a.committed.pricePerGpuHour, a.onDemand.pricePerGpuHour) - ratio(b.committed.pricePerGpuHour, b.onDemand.pricePerGpuHour) || a.region.localeCompare(b.region));
  return { ...found[Math.floor((found.length - 1) / 2)]!, fallback: true, candidates: found.length };
}

/**
 * Sustained effective utilization (the 25th percentile of daily effective utilization) at or above the break-even of
 * a 1-year commitment (committed ÷ on-demand price per GPU-hour). Impact: the pool's monthly spend − what its
 * GPUs (the average paid) would cost committed for the whole month. Not for pools already committed.
 * Confidence: days observed (of 30) × agreement of the pool's actual price with the on-demand price × 0.8 when
 * the prices come from another region.
 */
function commitSignal(pool: PoolObservation, offers: readonly MarketOffer[], settings: SignalSettings): RaisedSignal | null {
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

// ---------------------------------------------------------------------------------------------------------
// 2. move

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
    .filter((o): o is SpotPlacementScoreObservation => o.kind === 'spot-placement-score' && o.provider === offer.provider && o.region === offer.region)
    .filter((o) => o.instanceTypes.some((t) => t.toLowerCase() === offer.instanceType!.toLowerCase()))
    .map((o) => o.score);
  // Scores are per Availability Zone ID, prices per zone name; the two cannot be joined, so the region's best zone counts.
  return scores.length ? Math.max(...scores) : null;
}

function quotaFor(offer: MarketOffer, purchase: 'on-demand' | 'spot', capacity: readonly CapacityObservation[]): GpuQuotaObservation | undefined {
  return capacity.find(
    (o): o is GpuQuotaObservation =>
      o.kind === 'gpu-quota' && o.provider === offer.provider && o.region === offer.region && o.purchase === purchase && offer.instanceType !== null && offer.instanceType in o.maxInstances,
  );
}

function alternativeCapacity(offer: MarketOffer, score: number | null, needed: number, capacity: readonly CapacityObservation[], settings: SignalSettings): Capacity {
  if (offer.category === 'spot') {
    if (score !== null && score < settings.minPlacementScore) return { status: 'short', basis: `spot placement score ${score} < ${settings.minPlacementScore}` };
    const quota = quotaFor(offer, 'spot', capacity);
    const fitsQuota = quota ? quota.maxInstances[offer.instanceType!]! >= needed : null;
    if (fitsQuota === false) return { status: 'short', basis: `spot quota ${quota!.quotaCode} allows ${quota!.maxInstances[offer.instanceType!]} ${offer.instanceType}, ${needed} needed` };
    if (score !== null) return { status: 'fits', basis: `spot placement score ${score}${quota ? `; quota allows ${quota.maxInstances[offer.instanceType!]} instances` : ''}` };
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
  if (reservation) return { status: 'fits', basis: `capacity reservation ${reservation.reservationId} has ${reservation.availableInstances} instances available` };
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
function moveSignal(pool: PoolObservation, offers: readonly MarketOffer[], capacity: readonly CapacityObservation[], settings: SignalSettings): RaisedSignal | null {
  if (pool.pricingCategory === 'Committed') return null;
  if (!pool.gpuModel || pool.costPerPaidGpuHour === null || pool.paidGpuHours <= 0 || pool.windowHours <= 0) return null;
  const current = parseDecimal(pool.costPerPaidGpuHour);
  const ownCategory = pool.pricingCategory ? poolCategory[pool.pricingCategory] : null;
  const gpusNeeded = pool.gpus > 0 ? pool.gpus : Math.ceil(pool.paidGpuHours / pool.windowHours);
  const ceiling = multiplyDecimal(current, parseDecimal(100 - settings.moveMarginPercent));

  const alternatives: Alternative[] = [];
  for (const offer of offers) {
    if (offer.gpuModel !== pool.gpuModel || (offer.category !== 'on-demand' && offer.category !== 'spot')) continue;
    if (offer.provider === pool.provider && offer.region === pool.region && (ownCategory === null || offer.category === ownCategory)) continue;
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
    (a, b) => compareDecimal(a.effectivePerGpuHour, b.effectivePerGpuHour) || capacityRank[a.capacity.status] - capacityRank[b.capacity.status] || a.offer.key.localeCompare(b.offer.key),
  );
  const best = alternatives[0];
  if (!best) return null;

  const hoursPerMonth = paidGpuHoursPerMonth(pool);
  const impact = multiplyDecimal(current - best.effectivePerGpuHour, hoursPerMonth);
  if (impact <= 0n) return null;
  const saving = ratio(current - best.effectivePerGpuHour, current);
  const own = pool.provider && pool.region && ownCategory ? cheapest(offersLike(pool, offers, { provider: pool.provider, region: pool.region, category: ownCategory })) : undefined;
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

// ---------------------------------------------------------------------------------------------------------
// 3. consolidate

/**
 * At least LEDGER_CONSOLIDATE_IDLE_PERCENT of paid GPU-hours idle (1 − effective ÷ paid), and the effective load
 * (average effective GPUs) fits on fewer hosts at 80% utilization. Impact: hosts released × the pool's cost per
 * host-month. Confidence: share of the window's days with data × 0.7 when the busiest day would not fit.
 */
function consolidateSignal(pool: PoolObservation, settings: SignalSettings): RaisedSignal | null {
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

// ---------------------------------------------------------------------------------------------------------
// 4. replace

/**
 * GPUs of one model in one pool (at least 4 with a reading) whose throughput, tokens per GPU-hour (else SM active),
 * is below median − 3.5 × 1.4826 × MAD and at least 15% below the median. Impact: the GPU's monthly cost ×
 * (1 − its throughput ÷ median). Confidence: min(1, paid hours ÷ 168) × 1 for tokens, 0.8 for SM active (a proxy).
 */
function replaceSignals(gpus: readonly GpuObservation[], pools: readonly PoolObservation[], settings: SignalSettings): RaisedSignal[] {
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

// ---------------------------------------------------------------------------------------------------------
// 5. renegotiate

interface PriceSeries {
  key: string;
  offer: OfferIdentity;
  /** Price per GPU-hour in effect from `t` on (median over zones), oldest first. */
  steps: { t: number; price: Decimal }[];
}

/** Latest and history points → one step series per offer; zones fold into the median of their prices in effect. */
function priceSeries(points: readonly GpuPricePoint[]): PriceSeries[] {
  const unique = new Map<string, GpuPricePoint>();
  for (const p of points) if (p.currency === CURRENCY) unique.set(p.key, p);
  const byOffer = new Map<string, GpuPricePoint[]>();
  for (const p of unique.values()) {
    const key = offerKeyOf(p);
    let list = byOffer.get(key);
    if (!list) byOffer.set(key, (list = []));
    list.push(p);
  }
  return [...byOffer].map(([key, list]) => {
    list.sort((a, b) => a.observedAt.localeCompare(b.observedAt) || a.key.localeCompare(b.key));
    const inEffect = new Map<string, Decimal>();
    const steps: { t: number; price: Decimal }[] = [];
    for (const p of list) {
      inEffect.set(p.zone ?? '-', parseDecimal(p.pricePerGpuHour));
      const t = Date.parse(p.observedAt);
      const price = medianDecimal([...inEffect.values()]);
      if (steps.at(-1)?.t === t) steps[steps.length - 1] = { t, price };
      else steps.push({ t, price });
    }
    return { key, offer: offerIdentityOf(list[0]!), steps };
  });
}

/** The time-weighted median of a step series over [from, to], and the share of that window the series covers. */
function trailingMedian(steps: readonly { t: number; price: Decimal }[], from: number, to: number): { median: Decimal; coverage: number; changes: number } | undefined {
  const segments: { price: Decimal; ms: number }[] = [];
  let changes = 0;
  steps.forEach((step, i) => {
    const start = Math.max(step.t, from);
    const end = Math.min(steps[i + 1]?.t ?? to, to);
    if (end > start) segments.push({ price: step.price, ms: end - start });
    if (step.t > from && step.t <= to) changes++;
  });
  const total = segments.reduce((sum, s) => sum + s.ms, 0);
  if (total === 0) return undefined;
  segments.sort((a, b) => compareDecimal(a.price, b.price));
  let cumulative = 0;
  for (const s of segments) {
    cumulative += s.ms;
    if (cumulative * 2 >= total) return { median: s.price, coverage: total / (to - from), changes };
  }
  return undefined;
}

/**
 * A price series (one offer) whose latest price moved at least LEDGER_RENEGOTIATE_THRESHOLD_PERCENT against its
 * time-weighted median of the trailing 30 days, for the pools paying it (same provider, region, GPU model and
 * category; instance type where known; among several offers, the one nearest the pool's actual price).
 * Impact: |latest − median| × the pools' paid GPU-hours a month. Confidence: share of the window the series
 * covers × hours-weighted agreement of the pools' actual price with the latest or median price.
 */
function renegotiateSignals(inputs: SignalInputs, settings: SignalSettings): RaisedSignal[] {
  const series = priceSeries([...inputs.priceHistory, ...inputs.latestPrices]);
  const assigned = new Map<string, PoolObservation[]>();
  for (const pool of inputs.pools) {
    if (!pool.provider || !pool.region || !pool.gpuModel || !pool.pricingCategory || pool.paidGpuHours <= 0 || pool.windowHours <= 0) continue;
    const category = poolCategory[pool.pricingCategory];
    let matching = series.filter((s) => s.offer.provider === pool.provider && s.offer.region === pool.region && s.offer.gpuModel === pool.gpuModel && s.offer.category === category);
    const sameType = pool.instanceType ? matching.filter((s) => s.offer.instanceType?.toLowerCase() === pool.instanceType!.toLowerCase()) : [];
    if (sameType.length) matching = sameType;
    if (!matching.length) continue;
    const actual = pool.costPerPaidGpuHour === null ? null : parseDecimal(pool.costPerPaidGpuHour);
    const distance = (s: PriceSeries) => {
      const latest = s.steps.at(-1)!.price;
      return actual === null ? 0n : latest > actual ? latest - actual : actual - latest;
    };
    const chosen = [...matching].sort((a, b) => compareDecimal(distance(a), distance(b)) || a.key.localeCompare(b.key))[0]!;
    let payers = assigned.get(chosen.key);
    if (!payers) assigned.set(chosen.key, (payers = []));
    payers.push(pool);
  }

  const to = inputs.nowMs;
  const from = to - settings.renegotiateTrailingDays * DAY_MS;
  const signals: RaisedSignal[] = [];
  for (const s of series) {
    const pools = assigned.get(s.key);
    if (!pools) continue;
    const trailing = trailingMedian(s.steps, from, to);
    if (!trailing || trailing.median <= 0n) continue;
    const latest = s.steps.at(-1)!.price;
    const change = latest - trailing.median;
    const changeShare = ratio(change, trailing.median);
    if (Math.abs(roundTo(changeShare * 100, 9)) < settings.renegotiateThresholdPercent) continue;
    const hoursPerMonth = pools.reduce((sum, p) => sum + paidGpuHoursPerMonth(p), 0n);
    const magnitude = change < 0n ? -change : change;
    const impact = multiplyDecimal(magnitude, hoursPerMonth);
    if (impact <= 0n) continue;

    let weighted = 0;
    let hours = 0;
    for (const p of pools) {
      const agree = p.costPerPaidGpuHour === null ? 0.8 : Math.max(agreement(parseDecimal(p.costPerPaidGpuHour), latest), agreement(parseDecimal(p.costPerPaidGpuHour), trailing.median));
      weighted += agree * p.paidGpuHours;
      hours += p.paidGpuHours;
    }
    const priceAgreement = hours > 0 ? weighted / hours : 0.8;
    const confidence = clampConfidence(trailing.coverage * priceAgreement);
    const label = offerLabel(s.offer);
    const rose = change > 0n;
    const names = pools.map((p) => p.pool).sort();
    const teams = [...new Set(pools.map((p) => p.team))];
    const what = `${dollars(latest)} per GPU-hour against its ${settings.renegotiateTrailingDays}-day median of ${dollars(trailing.median)}`;
    const who = `pool${names.length === 1 ? '' : 's'} ${names.join(', ')} pay${names.length === 1 ? 's' : ''} it for ${count(Number(formatDecimal(hoursPerMonth)))} GPU-hours a month`;
    signals.push({
      signalId: signalId('renegotiate', `offer:${s.key}`),
      type: 'renegotiate',
      subject: label,
      title: `${label} price ${rose ? 'rose' : 'fell'} ${percent(Math.abs(changeShare))}`,
      summary: rose
        ? `The ${label} price rose ${percent(changeShare)} to ${what}; ${who}: about ${dollars(impact)} more a month. Renegotiate, or lock in a commitment, before it renews.`
        : `The ${label} price fell ${percent(-changeShare)} to ${what}; ${who}, so what they pay is now about ${dollars(impact)} a month above market: renegotiate it.`,
      monthlyImpact: cents(impact),
      currency: CURRENCY,
      confidence,
      evidence: {
        offer: label,
        variant: s.offer.variant,
        direction: rose ? 'rise' : 'fall',
        latestPerGpuHour: formatDecimal(latest),
        trailingMedianPerGpuHour: formatDecimal(trailing.median),
        changePerGpuHour: formatDecimal(change),
        changePercent: roundTo(changeShare * 100, 2),
        thresholdPercent: settings.renegotiateThresholdPercent,
        trailingDays: settings.renegotiateTrailingDays,
        priceChangesInWindow: trailing.changes,
        windowCoverage: roundTo(trailing.coverage, 4),
        pools: names.join(','),
        paidGpuHoursPerMonth: formatDecimal(hoursPerMonth),
        confidenceBasis: `window coverage ${roundTo(trailing.coverage, 2)} × price agreement ${roundTo(priceAgreement, 2)}`,
      },
      team: teams.length === 1 ? teams[0]! : null,
    });
  }
  return signals;
}
