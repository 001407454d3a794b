import { z } from 'zod';
import { formatDecimal, parseDecimal, roundDecimal, type Decimal } from '../core/money.js';
import { unitEconomicsScopeKinds, type UnitEconomicsRow } from './unit-economics-row.js';

/**
 * Why a unit cost moved between two periods of one scope: the change split into factors that add up to it exactly.
 *
 * Method: the additive log-mean Divisia index (LMDI-I, Ang 2004). A unit cost that is a product of factors,
 * V = f1 × f2 × …, changes by ΔV = Σ L(V1, V0) × ln(fi1 / fi0), with L(a, b) = (a − b) / (ln a − ln b): the parts
 * add up to ΔV with no residual, whatever the order of the factors (sequential substitution would leave an order-
 * dependent interaction term). The parts are then rounded to six places and the rounding left over goes to the
 * largest part, so they add up to the rows' own rounded change exactly.
 *
 * - Cost per effective GPU-hour = (GPU cost ÷ paid GPU-hours) × (paid ÷ effective GPU-hours): *price* (what a paid
 *   GPU-hour cost: contract, spot and on-demand mix) and *utilization* (the idle share).
 * - Cost per 1M tokens = self-hosted part + API part. The self-hosted part = price × (paid ÷ effective) × (effective
 *   GPU-hours ÷ tokens): *price*, *utilization* and *efficiency* (tokens per effective GPU-hour). The API part (priced
 *   API usage per token, all tokens counted) is *api*: the rows do not split tokens between API and self-hosted models,
 *   so API prices and the API share of tokens move together in it. When a period has GPU cost and the other none,
 *   the self-hosted part's change is *mix*.
 * - GPU cost = effective GPU-hours × price × (paid ÷ effective): *volume* (the work done), *price* and *utilization*.
 *   Volume moves what a scope spends, not what a unit costs, so it is a part of this metric only.
 * - A scope made of pools (the fleet) splits its cost per effective GPU-hour by pool when its pools' rows are given
 *   and add up to it: V = Σ (Eᵢ ÷ E) × (Cᵢ ÷ Pᵢ) × (Pᵢ ÷ Eᵢ), each pool's term decomposed by LMDI, so work moving
 *   between cheaper and dearer pools is *mix*, apart from each pool's own price and utilization. A pool that did
 *   no effective work in a period splits as (Cᵢ ÷ Pᵢ) × (Pᵢ ÷ E); a pool present in one period only is mix.
 */
export const varianceFactors = ['price', 'utilization', 'efficiency', 'volume', 'api', 'mix'] as const;
export type VarianceFactor = (typeof varianceFactors)[number];

const money = z.string();
export const variancePartSchema = z.object({
  factor: z.enum(varianceFactors),
  /** Its share of the change, in the row's currency per unit. */
  amount: money,
  /** amount ÷ the previous value × 100, to 0.1. */
  percent: z.number().nullable(),
});
export const metricVarianceSchema = z.object({
  metric: z.enum(['costPerEffectiveGpuHour', 'costPerMillionTokens', 'gpuCost']),
  previous: money.nullable(),
  current: money.nullable(),
  change: money.nullable(),
  changePercent: z.number().nullable(),
  /** The parts, largest first; they add up to `change` exactly. Empty when not decomposable. */
  parts: z.array(variancePartSchema),
  /** Why there are no parts: a value missing in a period, or a factor that is zero. */
  reason: z.string().nullable(),
  /** `$/1M tokens +18.0%: +9.0% price, +6.0% utilization, +3.0% efficiency`. */
  summary: z.string(),
});
export type MetricVariance = z.infer<typeof metricVarianceSchema>;

export const varianceReportSchema = z
  .object({
    scopeKind: z.enum(unitEconomicsScopeKinds),
    scope: z.string(),
    period: z.enum(['hour', 'day']),
    previousStart: z.string(),
    currentStart: z.string(),
    currency: z.string(),
    method: z.literal('LMDI-I'),
    metrics: z.array(metricVarianceSchema),
  })
  .meta({ id: 'UnitCostVariance' });
export type VarianceReport = z.infer<typeof varianceReportSchema>;

const PLACES = 6;

/** The logarithmic mean of two positive numbers. */
export function logMean(a: number, b: number): number {
  if (a === b) return a;
  return (a - b) / (Math.log(a) - Math.log(b));
}

interface Period {
  gpuCost: number;
  apiCost: number;
  paid: number;
  effective: number;
  tokens: number;
}

function periodOf(row: UnitEconomicsRow): Period {
  const cost = Number(row.cost);
  const apiCost = Number(row.apiCost);
  return { gpuCost: cost - apiCost, apiCost, paid: row.paidGpuHours, effective: row.effectiveGpuHours, tokens: row.tokens };
}

/** LMDI parts of V = Π factors from period 0 to 1; every factor positive in both. */
function lmdi(v0: number, v1: number, factors: [VarianceFactor, number, number][]): [VarianceFactor, number][] {
  const w = logMean(v1, v0);
  return factors.map(([name, f0, f1]) => [name, w * Math.log(f1 / f0)]);
}

const positive = (...xs: number[]) => xs.every((x) => Number.isFinite(x) && x > 0);

/** Six-place amounts that add up to `total` exactly: the rounding left over goes to the largest part. */
function exactParts(raw: [VarianceFactor, number][], total: Decimal): [VarianceFactor, Decimal][] {
  const parts = raw.map(([f, x]): [VarianceFactor, Decimal] => [f, parseDecimal(x.toFixed(PLACES))]);
  const sum = parts.reduce((s, [, x]) => s + x, 0n);
  if (parts.length && sum !== total) {
    let largest = 0;
    parts.forEach(([, x], i) => {
      if ((x < 0n ? -x : x) > (parts[largest]![1] < 0n ? -parts[largest]![1] : parts[largest]![1])) largest = i;
    });
    parts[largest]![1] += total - sum;
  }
  return parts.filter(([, x]) => x !== 0n).sort(([, a], [, b]) => ((b < 0n ? -b : b) > (a < 0n ? -a : a) ? 1 : -1));
}

/** part ÷ previous × 100 to 0.1, halves away from zero (−6.25 → −6.3, as +6.25 → +6.3). */
function percentOf(part: Decimal, previous: Decimal): number | null {
  if (previous <= 0n) return null;
  const tenths = (Number(part) / Number(previous)) * 1000;
  return (Math.sign(tenths) * Math.round(Math.abs(tenths))) / 10;
}
const signed = (p: number) => `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
const labels = { costPerEffectiveGpuHour: '$/effective GPU-hour', costPerMillionTokens: '$/1M tokens', gpuCost: 'GPU cost' } as const;

function metricVariance(
  metric: MetricVariance['metric'],
  previous: string | null,
  current: string | null,
  raw: () => [VarianceFactor, number][] | string,
): MetricVariance {
  const label = labels[metric];
  if (previous === null || current === null) {
    const reason = `${label}: no value in the ${previous === null ? 'previous' : 'current'} period`;
    return { metric, previous, current, change: null, changePercent: null, parts: [], reason, summary: reason };
  }
  const p = roundDecimal(parseDecimal(previous), PLACES);
  const c = roundDecimal(parseDecimal(current), PLACES);
  const change = c - p;
  const changePercent = percentOf(change, p);
  const head = `${label} ${changePercent === null ? formatDecimal(change) : signed(changePercent)}`;
  const split = raw();
  if (typeof split === 'string') {
    return {
      metric,
      previous,
      current,
      change: formatDecimal(change),
      changePercent,
      parts: [],
      reason: split,
      summary: `${head} (${split})`,
    };
  }
  const parts = exactParts(split, change).map(([factor, amount]) => ({
    factor,
    amount: formatDecimal(amount),
    percent: percentOf(amount, p),
  }));
  const words = parts.map((x) => `${x.percent === null ? x.amount : signed(x.percent)} ${x.factor}`).join(', ');
  return {
    metric,
    previous,
    current,
    change: formatDecimal(change),
    changePercent,
    parts,
    reason: null,
    summary: words ? `${head}: ${words}` : head,
  };
}

/** The rows of the pools a scope is made of, in each period (for the fleet: its pool rows). */
export interface VarianceComponents {
  previous: readonly UnitEconomicsRow[];
  current: readonly UnitEconomicsRow[];
}

/** Whether the components' GPU cost and effective GPU-hours add up to the scope's own (to a millionth). */
function addsUp(whole: Period, parts: readonly Period[]): boolean {
  const near = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y));
  const cost = parts.reduce((s, p) => s + p.gpuCost, 0);
  const effective = parts.reduce((s, p) => s + p.effective, 0);
  return near(cost, whole.gpuCost) && near(effective, whole.effective);
}

/** Cost per effective GPU-hour of a scope made of pools: each pool's term by LMDI, shifts of work between them as mix. */
function structuralPerGpuHour(a: Period, b: Period, components: VarianceComponents): [VarianceFactor, number][] | null {
  const byScope = (rows: readonly UnitEconomicsRow[]) => new Map(rows.map((r) => [r.scope, periodOf(r)]));
  const before = byScope(components.previous);
  const after = byScope(components.current);
  if (!addsUp(a, [...before.values()]) || !addsUp(b, [...after.values()])) return null;
  let price = 0;
  let utilization = 0;
  let mix = 0;
  for (const scope of new Set([...before.keys(), ...after.keys()])) {
    const x = before.get(scope);
    const y = after.get(scope);
    const v0 = x ? x.gpuCost / a.effective : 0;
    const v1 = y ? y.gpuCost / b.effective : 0;
    if (v0 === v1) continue;
    if (!x || !y || !positive(x.gpuCost, x.paid, y.gpuCost, y.paid)) {
      mix += v1 - v0;
      continue;
    }
    const w = logMean(v1, v0);
    price += w * Math.log(y.gpuCost / y.paid / (x.gpuCost / x.paid));
    if (positive(x.effective, y.effective)) {
      utilization += w * Math.log(y.paid / y.effective / (x.paid / x.effective));
      mix += w * Math.log(y.effective / b.effective / (x.effective / a.effective));
    } else {
      utilization += w * Math.log(y.paid / b.effective / (x.paid / a.effective));
    }
  }
  return [
    ['price', price],
    ['utilization', utilization],
    ['mix', mix],
  ];
}

const sixPlaces = (x: number) => formatDecimal(parseDecimal(x.toFixed(PLACES)));

/**
 * The change of a scope's unit costs from `previous` to `current` (two rows of one scope and period kind), and of
 * its GPU cost. `components`: the rows of the pools the scope is made of, for the mix of pools.
 */
export function unitCostVariance(previous: UnitEconomicsRow, current: UnitEconomicsRow, components?: VarianceComponents): VarianceReport {
  const a = periodOf(previous);
  const b = periodOf(current);
  const perGpuHour = metricVariance('costPerEffectiveGpuHour', previous.costPerEffectiveGpuHour, current.costPerEffectiveGpuHour, () => {
    if (!positive(a.gpuCost, a.paid, a.effective, b.gpuCost, b.paid, b.effective))
      return 'GPU cost, paid or effective GPU-hours are zero in a period';
    const structural = components ? structuralPerGpuHour(a, b, components) : null;
    return (
      structural ??
      lmdi(a.gpuCost / a.effective, b.gpuCost / b.effective, [
        ['price', a.gpuCost / a.paid, b.gpuCost / b.paid],
        ['utilization', a.paid / a.effective, b.paid / b.effective],
      ])
    );
  });
  const gpuCost = metricVariance('gpuCost', sixPlaces(a.gpuCost), sixPlaces(b.gpuCost), () => {
    if (!positive(a.gpuCost, a.paid, a.effective, b.gpuCost, b.paid, b.effective))
      return 'GPU cost, paid or effective GPU-hours are zero in a period';
    return lmdi(a.gpuCost, b.gpuCost, [
      ['volume', a.effective, b.effective],
      ['price', a.gpuCost / a.paid, b.gpuCost / b.paid],
      ['utilization', a.paid / a.effective, b.paid / b.effective],
    ]);
  });
  const perMillionTokens = metricVariance('costPerMillionTokens', previous.costPerMillionTokens, current.costPerMillionTokens, () => {
    if (!positive(a.tokens, b.tokens)) return 'no tokens in a period';
    const gpu0 = (a.gpuCost / a.tokens) * 1e6;
    const gpu1 = (b.gpuCost / b.tokens) * 1e6;
    const parts: [VarianceFactor, number][] = [['api', (b.apiCost / b.tokens) * 1e6 - (a.apiCost / a.tokens) * 1e6]];
    if (positive(a.gpuCost, a.paid, a.effective, b.gpuCost, b.paid, b.effective)) {
      parts.push(
        ...lmdi(gpu0, gpu1, [
          ['price', a.gpuCost / a.paid, b.gpuCost / b.paid],
          ['utilization', a.paid / a.effective, b.paid / b.effective],
          ['efficiency', a.effective / a.tokens, b.effective / b.tokens],
        ]),
      );
    } else if (gpu0 !== gpu1) {
      parts.push(['mix', gpu1 - gpu0]);
    }
    return parts;
  });
  return {
    scopeKind: current.scopeKind,
    scope: current.scope,
    period: current.period,
    previousStart: previous.start,
    currentStart: current.start,
    currency: current.currency,
    method: 'LMDI-I',
    metrics: [perGpuHour, perMillionTokens, gpuCost],
  };
}

/** `GET /v1/unit-economics/variance`: one scope's day (or hour) against the one before it. */
export const varianceQuerySchema = z.object({
  scopeKind: z.enum(unitEconomicsScopeKinds),
  scope: z.string().min(1).max(512),
  date: z.iso.date({ message: 'must be a day, yyyy-mm-dd' }).describe('the day compared with the day before it'),
});
