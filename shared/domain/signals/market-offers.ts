import { CURRENCY, perMonth } from './signal-terms.js';
import type { PoolObservation } from '../economics/fleet-observations.js';
import { type Decimal, compareDecimal, divideDecimal, divideDecimalByInteger, formatDecimal, parseDecimal } from '../core/money.js';
import type { GpuPriceCategory, GpuPricePoint } from '../market/price-points.js';

export function paidGpuHoursPerMonth(pool: PoolObservation): Decimal {
  return perMonth(parseDecimal(pool.paidGpuHours), pool.windowHours);
}

/** a / b as a number (ratios of prices). */
export function ratio(a: Decimal, b: Decimal): number {
  return Number(formatDecimal(divideDecimal(a, b)));
}

/** How well two prices agree: the smaller over the larger (1 when equal). */
export function agreement(a: Decimal, b: Decimal): number {
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

export function medianDecimal(values: readonly Decimal[]): Decimal {
  const sorted = [...values].sort(compareDecimal);
  const mid = Math.floor((sorted.length - 1) / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : divideDecimalByInteger(sorted[mid]! + sorted[mid + 1]!, 2);
}

// Market offers: one offer = provider, region, instance type or SKU, category, term and variant; zones of one
// offer (AWS spot) are folded into the median of their prices, since a pool does not choose its zone's price.

export const poolCategory = { Standard: 'on-demand', Dynamic: 'spot', Committed: 'reserved' } as const satisfies Record<
  string,
  GpuPriceCategory
>;
export const categoryWords: Record<GpuPriceCategory, string> = {
  'on-demand': 'on-demand',
  spot: 'spot',
  reserved: 'committed',
  'capacity-block': 'capacity block',
};

/** What an offer sells, apart from its price: the same in every zone of the offer. */
export interface OfferIdentity {
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

export interface MarketOffer extends OfferIdentity {
  key: string;
  /** Median over zones of the latest price per GPU-hour. */
  pricePerGpuHour: Decimal;
  zones: number;
}

export function offerKeyOf(p: GpuPricePoint): string {
  return [p.provider, p.region, p.instanceType ?? p.sku ?? '-', p.pricingCategory, p.term ?? '-', p.variant ?? '-'].join('#');
}

export function offerIdentityOf(p: GpuPricePoint): OfferIdentity {
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

export function offerLabel(
  o: Pick<MarketOffer, 'provider' | 'region' | 'instanceType' | 'sku' | 'gpuModel' | 'category' | 'term'>,
): string {
  const what = o.instanceType ?? (o.sku ? `${o.gpuModel} (SKU ${o.sku})` : o.gpuModel);
  return `${o.provider} ${o.region} ${what} ${categoryWords[o.category]}${o.term ? ` ${o.term}` : ''}`;
}

export function marketOffers(points: readonly GpuPricePoint[]): MarketOffer[] {
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
export function offersLike(
  pool: PoolObservation,
  offers: readonly MarketOffer[],
  where: { provider: string; region: string; category: GpuPriceCategory; term?: '1yr' },
): MarketOffer[] {
  const found = offers.filter(
    (o) =>
      o.gpuModel === pool.gpuModel &&
      o.provider === where.provider &&
      o.region === where.region &&
      o.category === where.category &&
      (!where.term || o.term === where.term),
  );
  const sameType = pool.instanceType ? found.filter((o) => o.instanceType?.toLowerCase() === pool.instanceType!.toLowerCase()) : [];
  return sameType.length > 0 ? sameType : found;
}

export function cheapest(offers: readonly MarketOffer[]): MarketOffer | undefined {
  return [...offers].sort((a, b) => compareDecimal(a.pricePerGpuHour, b.pricePerGpuHour) || a.key.localeCompare(b.key))[0];
}

export function poolSubject(pool: PoolObservation): string {
  const place = [pool.provider, pool.region].filter(Boolean).join(' ');
  const parts = [pool.gpuModel, place || null, pool.pricingCategory ? categoryWords[poolCategory[pool.pricingCategory]] : null].filter(
    Boolean,
  );
  return `pool ${pool.pool}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
