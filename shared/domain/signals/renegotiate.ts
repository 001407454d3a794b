import { CURRENCY, cents, clampConfidence, count, dollars, percent, signalId, type RaisedSignal } from './signal-terms.js';
import type { PoolObservation } from '../economics/fleet-observations.js';
import { type Decimal, compareDecimal, formatDecimal, multiplyDecimal, parseDecimal } from '../core/money.js';
import type { GpuPricePoint } from '../market/price-points.js';
import { roundTo } from '../core/statistics.js';
import { DAY_MS } from '../core/utc-time.js';
import type { SignalInputs, SignalSettings } from './signal-settings.js';
import {
  paidGpuHoursPerMonth,
  ratio,
  agreement,
  medianDecimal,
  poolCategory,
  type OfferIdentity,
  offerKeyOf,
  offerIdentityOf,
  offerLabel,
} from './market-offers.js';

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
function trailingMedian(
  steps: readonly { t: number; price: Decimal }[],
  from: number,
  to: number,
): { median: Decimal; coverage: number; changes: number } | undefined {
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
export function renegotiateSignals(inputs: SignalInputs, settings: SignalSettings): RaisedSignal[] {
  const series = priceSeries([...inputs.priceHistory, ...inputs.latestPrices]);
  const assigned = new Map<string, PoolObservation[]>();
  for (const pool of inputs.pools) {
    if (!pool.provider || !pool.region || !pool.gpuModel || !pool.pricingCategory || pool.paidGpuHours <= 0 || pool.windowHours <= 0)
      continue;
    const category = poolCategory[pool.pricingCategory];
    let matching = series.filter(
      (s) =>
        s.offer.provider === pool.provider &&
        s.offer.region === pool.region &&
        s.offer.gpuModel === pool.gpuModel &&
        s.offer.category === category,
    );
    const sameType = pool.instanceType
      ? matching.filter((s) => s.offer.instanceType?.toLowerCase() === pool.instanceType!.toLowerCase())
      : [];
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
      const agree =
        p.costPerPaidGpuHour === null
          ? 0.8
          : Math.max(agreement(parseDecimal(p.costPerPaidGpuHour), latest), agreement(parseDecimal(p.costPerPaidGpuHour), trailing.median));
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
