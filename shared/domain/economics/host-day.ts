import type { UnitEconomicsScopeKind } from './unit-economics-row.js';
import { ZERO, type Decimal, multiplyByRatio } from '../core/money.js';
import { addHostShare, type HostShare, type RowAccumulator } from './row-accumulator.js';

/** A host's day in the unit-economics fold: what its agent measured, what its bill says, and how they add to rows. */
export interface HostDay {
  hostId: string;
  day: number;
  observed: number;
  effective: number;
  idleHeld: number;
  energyKwh: number;
  tokens: number;
  requests: number;
  models: Map<string, { tokens: number; requests: number }>;
  gpus: Set<string>;
  hours: Map<
    number,
    {
      observed: number;
      effective: number;
      idleHeld: number;
      energyKwh: number;
      tokens: number;
      requests: number;
      models: Map<string, { tokens: number; requests: number }>;
    }
  >;
}

export interface ResourceDay {
  cost: Decimal;
  billedInstanceHours: number;
  gpusPerInstance: number | null;
  team: string | null;
  pricingCategories: Set<string>;
}

/** A host-day with what its agent measured and what its bill says, either possibly missing. */
export interface HostDayCost {
  rd: ResourceDay | undefined;
  hd: HostDay | undefined;
  hostId: string;
  day: number;
}

/** A host-day's totals, and the scopes (host, pool, fleet, team) they add to. */
export interface HostDayTotals {
  pool: string;
  team: string | null;
  observed: number;
  scopes: [UnitEconomicsScopeKind, string][];
  share: Omit<HostShare, 'observed'>;
}

/** What a pool's host-days add up to, for its observation. */
export type PoolFacts = Map<
  string,
  {
    categories: Set<string>;
    teams: Set<string>;
    days: Map<number, { paid: number; effective: number }>;
    cost: Decimal;
    paid: number;
    effective: number;
    hosts: Set<string>;
    gpus: Set<string>;
  }
>;

/** The rows being summed, and the accumulator of one row (made on first use). */
export type RowBook = Map<
  string,
  { kind: UnitEconomicsScopeKind; scope: string; period: 'hour' | 'day'; start: number; acc: RowAccumulator }
>;
export type RowOf = (kind: UnitEconomicsScopeKind, scope: string, period: 'hour' | 'day', start: number) => RowAccumulator;

/** A pool's facts for its observation: pricing categories, teams, daily utilization, cost, hosts and GPUs. */
export function notePoolFacts(poolFacts: PoolFacts, { hd, hostId, day, rd }: HostDayCost, t: HostDayTotals): void {
  const facts = poolFacts.get(t.pool) ?? {
    categories: new Set(),
    teams: new Set(),
    days: new Map(),
    cost: ZERO,
    paid: 0,
    effective: 0,
    hosts: new Set(),
    gpus: new Set(),
  };
  poolFacts.set(t.pool, facts);
  for (const c of rd?.pricingCategories ?? []) facts.categories.add(c);
  if (t.team) facts.teams.add(t.team);
  const d = facts.days.get(day) ?? { paid: 0, effective: 0 };
  // A host-day the agent never reported on is paid (and idle in cost) but says nothing of utilization.
  if (hd) d.paid += t.share.paid;
  d.effective += t.share.effective;
  facts.days.set(day, d);
  facts.cost += t.share.cost;
  facts.paid += t.share.paid;
  facts.effective += t.share.effective;
  facts.hosts.add(hostId);
  for (const g of hd?.gpus ?? []) facts.gpus.add(g);
}

/** Self-hosted models: the host-day's cost shared by each model's share of the tokens it served. */
export function addModelRows(row: RowOf, hd: HostDay, t: HostDayTotals): void {
  if (hd.tokens <= 0) return;
  for (const [model, served] of hd.models) {
    const share = served.tokens / hd.tokens;
    addHostShare(row('model', model, 'day', hd.day), {
      cost: multiplyByRatio(t.share.cost, share),
      idle: multiplyByRatio(t.share.idle, share),
      idleHeldCost: multiplyByRatio(t.share.idleHeldCost, share),
      paid: t.share.paid * share,
      effective: t.share.effective * share,
      idleHeld: t.share.idleHeld * share,
      energyKwh: hd.energyKwh * share,
      tokens: served.tokens,
      requests: served.requests,
      observed: true,
    });
  }
}

export function addServed(
  models: Map<string, { tokens: number; requests: number }>,
  model: string,
  served: { tokens: number; requests: number },
): void {
  const previous = models.get(model) ?? { tokens: 0, requests: 0 };
  models.set(model, { tokens: previous.tokens + served.tokens, requests: previous.requests + served.requests });
}
