import type { Decimal } from '../core/money.js';
import { ZERO, divideDecimal, formatDecimal, multiplyByRatio, parseDecimal, roundDecimal } from '../core/money.js';
import type { UnitEconomicsScopeKind } from './unit-economics-row.js';

/** The sums behind one unit-economics row while the fold runs, and how a host's or a workload's share adds to them. */

/** Pod rows kept per period, costliest first; the rest are summed under OTHER_PODS. */
export const MAX_POD_ROWS = 50;
export const OTHER_PODS = '(other pods)';

/** What paid GPU-hours cost while idle: cost × (1 − effective ÷ paid); all of the cost when nothing was paid. */
export function idleCost(cost: Decimal, effectiveGpuHours: number, paidGpuHours: number): Decimal {
  return paidGpuHours > 0 ? multiplyByRatio(cost, 1 - Math.min(1, effectiveGpuHours / paidGpuHours)) : cost;
}

/** The part of a cost spent on GPU-hours idle with their memory held: cost × idle-held ÷ paid. */
export function idleHeldCost(cost: Decimal, idleHeldGpuHours: number, paidGpuHours: number): Decimal {
  return paidGpuHours > 0 ? multiplyByRatio(cost, Math.min(1, idleHeldGpuHours / paidGpuHours)) : ZERO;
}

/** One row being summed. */
export class RowAccumulator {
  cost: Decimal = ZERO;
  gpuCost: Decimal = ZERO;
  apiCost: Decimal = ZERO;
  idleCost: Decimal = ZERO;
  idleHeldCost: Decimal = ZERO;
  paid = 0;
  idleHeld = 0;
  /** Epochs a job completed (job rows only); null when it reported none. */
  epochs: number | null = null;
  /** Paid GPU-hours of host-days the agent reported on at all (the denominator of effective utilization). */
  observedPaid = 0;
  effective = 0;
  tokens = 0;
  requests = 0;
  energyKwh = 0;
  /** Energy of hosts that served tokens (for kWh per million tokens). */
  tokenEnergyKwh = 0;
  selfHostedTokens = 0;
}

/** What a host, a model's or a workload's share adds to a row. */
export interface HostShare {
  cost: Decimal;
  idle: Decimal;
  idleHeldCost: Decimal;
  paid: number;
  effective: number;
  idleHeld: number;
  energyKwh: number;
  tokens: number;
  requests: number;
  /** False for a host-day billed with no agent report: paid, but left out of effective utilization. */
  observed: boolean;
}

export function addHostShare(acc: RowAccumulator, share: HostShare): void {
  acc.cost += share.cost;
  acc.gpuCost += share.cost;
  acc.idleCost += share.idle;
  acc.idleHeldCost += share.idleHeldCost;
  acc.paid += share.paid;
  acc.idleHeld += share.idleHeld;
  if (share.observed) acc.observedPaid += share.paid;
  acc.effective += share.effective;
  acc.energyKwh += share.energyKwh;
  acc.tokens += share.tokens;
  acc.requests += share.requests;
  if (share.tokens > 0) {
    acc.selfHostedTokens += share.tokens;
    acc.tokenEnergyKwh += share.energyKwh;
  }
}

/** Keep the MAX_POD_ROWS costliest pod rows of each period; sum the others into one `(other pods)` row. */
export function foldSmallPods(
  rows: Map<string, { kind: UnitEconomicsScopeKind; scope: string; period: 'hour' | 'day'; start: number; acc: RowAccumulator }>,
): void {
  const byPeriod = new Map<string, [string, RowAccumulator][]>();
  for (const [key, r] of rows) {
    if (r.kind !== 'pod') continue;
    const id = `${r.period}\u0000${r.start}`;
    const list = byPeriod.get(id) ?? [];
    list.push([key, r.acc]);
    byPeriod.set(id, list);
  }
  for (const [id, list] of byPeriod) {
    if (list.length <= MAX_POD_ROWS) continue;
    list.sort(([ka, a], [kb, b]) => (a.cost === b.cost ? ka.localeCompare(kb) : a.cost > b.cost ? -1 : 1));
    const [period, start] = id.split('\u0000') as ['hour' | 'day', string];
    const other = new RowAccumulator();
    for (const [key, acc] of list.slice(MAX_POD_ROWS)) {
      rows.delete(key);
      other.cost += acc.cost;
      other.gpuCost += acc.gpuCost;
      other.idleCost += acc.idleCost;
      other.idleHeldCost += acc.idleHeldCost;
      other.paid += acc.paid;
      other.observedPaid += acc.observedPaid;
      other.effective += acc.effective;
      other.idleHeld += acc.idleHeld;
    }
    rows.set(`pod\u0000${OTHER_PODS}\u0000${period}\u0000${start}`, {
      kind: 'pod',
      scope: OTHER_PODS,
      period,
      start: Number(start),
      acc: other,
    });
  }
}

/**
 * value ÷ by as an amount, `by` read to 9 places; null when that reads 0: nothing to divide by, or so little (a model's
 * sliver of a host's effective hours) that it would be a division by zero.
 */
export function moneyPer(value: Decimal, by: number): string | null {
  if (!(by > 0)) return null;
  const divisor = parseDecimal(by.toFixed(9));
  return divisor === ZERO ? null : money(divideDecimal(value, divisor));
}

export function money(value: Decimal): string {
  return formatDecimal(roundDecimal(value, 6));
}
