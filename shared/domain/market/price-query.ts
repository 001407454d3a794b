import { z } from 'zod';
import { badRequest } from '../../errors.js';
import { gpuModels } from '../providers/gpu-catalog.js';
import { compareDecimal, parseDecimal } from '../core/money.js';
import type { GpuPricePoint } from './price-points.js';
import { DAY_MS } from '../core/utc-time.js';

/** `GET /v1/prices`: the latest price of every offer, or the history of a window, with a price table. */
const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 time with a zone' });

export const priceQuerySchema = z.object({
  gpuModel: z.enum(gpuModels).optional(),
  provider: z.enum(['aws', 'azure', 'gcp']).optional(),
  pricingCategory: z.enum(['on-demand', 'spot', 'reserved', 'capacity-block']).optional(),
  region: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9-]+$/, 'must be a region name such as us-east-1 or eastus')
    .optional(),
  view: z.enum(['latest', 'history']).default('latest'),
  from: isoTime.optional().describe('history: start of the window (default 7 days before to)'),
  to: isoTime.optional().describe('history: end of the window (default now)'),
});
export type PriceQuery = z.infer<typeof priceQuerySchema>;

export const MAX_PRICE_HISTORY_DAYS = 93;

export function priceHistoryWindow(query: PriceQuery, now: number): { from: number; to: number } {
  const to = query.to ? Date.parse(query.to) : now;
  const from = query.from ? Date.parse(query.from) : to - 7 * DAY_MS;
  if (from >= to) throw badRequest('from: must be before to', { path: 'from' });
  if (to - from > MAX_PRICE_HISTORY_DAYS * DAY_MS)
    throw badRequest(`from: the window may span at most ${MAX_PRICE_HISTORY_DAYS} days`, { path: 'from' });
  return { from, to };
}

export interface PriceTableRow {
  gpuModel: string;
  provider: string;
  pricingCategory: string;
  currency: string;
  offers: number;
  /** Per GPU-hour, exact decimal strings. */
  minPerGpuHour: string;
  medianPerGpuHour: string;
  maxPerGpuHour: string;
  cheapest: { region: string; zone: string | null; instanceType: string | null; sku: string | null };
}

/** Model x provider x pricing category: the spread of per-GPU-hour prices, cheapest offer named. */
export function priceTable(points: readonly GpuPricePoint[]): PriceTableRow[] {
  const groups = new Map<string, GpuPricePoint[]>();
  for (const p of points) {
    const k = `${p.gpuModel}|${p.provider}|${p.pricingCategory}|${p.currency}`;
    const list = groups.get(k) ?? [];
    list.push(p);
    groups.set(k, list);
  }
  const rows: PriceTableRow[] = [];
  for (const list of groups.values()) {
    const sorted = [...list].sort((a, b) => compareDecimal(parseDecimal(a.pricePerGpuHour), parseDecimal(b.pricePerGpuHour)));
    const first = sorted[0]!;
    rows.push({
      gpuModel: first.gpuModel,
      provider: first.provider,
      pricingCategory: first.pricingCategory,
      currency: first.currency,
      offers: sorted.length,
      minPerGpuHour: first.pricePerGpuHour,
      medianPerGpuHour: sorted[Math.floor((sorted.length - 1) / 2)]!.pricePerGpuHour,
      maxPerGpuHour: sorted.at(-1)!.pricePerGpuHour,
      cheapest: { region: first.region, zone: first.zone, instanceType: first.instanceType, sku: first.sku },
    });
  }
  const order = { 'on-demand': 0, reserved: 1, 'capacity-block': 2, spot: 3 } as Record<string, number>;
  return rows.sort(
    (a, b) =>
      a.gpuModel.localeCompare(b.gpuModel) ||
      a.provider.localeCompare(b.provider) ||
      (order[a.pricingCategory] ?? 9) - (order[b.pricingCategory] ?? 9),
  );
}
