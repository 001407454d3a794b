import {
  addModelRows,
  addServed,
  notePoolFacts,
  type HostDay,
  type HostDayCost,
  type HostDayTotals,
  type PoolFacts,
  type ResourceDay,
  type RowBook,
  type RowOf,
} from './host-day.js';
import { RowAccumulator, addHostShare, foldSmallPods, idleCost, idleHeldCost, money, moneyPer } from './row-accumulator.js';
import { JobEpochs, WorkloadDays, WorkloadObservationFold, workloadCost, workloadScopes } from './workload-costs.js';
import type { GpuObservation, PoolObservation, WorkloadObservation } from './fleet-observations.js';
import type { FocusRecord } from '../costs/focus.js';
import { type CloudProvider, gpuModelFromText } from '../providers/gpu-catalog.js';
import { type HostHour } from '../measurements/host-hours.js';
import { DAY_MS, HOUR_MS } from '../core/utc-time.js';
import { ZERO, type Decimal, formatDecimal, multiplyByRatio, parseDecimal, tryParseDecimal } from '../core/money.js';
import type { UnitEconomicsRow, UnitEconomicsScopeKind } from './unit-economics-row.js';
import type { UsageMinute } from '../usage/usage-rollup.js';
import { roundTo } from '../core/statistics.js';

/**
 * Unit economics: FOCUS costs joined to what the hosts did and to priced LLM usage.
 *
 * - A cost record belongs to a host when its ResourceId is the host's `instanceId` (or ends with `/<instanceId>`,
 *   as Azure resource ids and Google Cloud resource names do). Every other record is shown under `unallocated`
 *   (by provider and service) and in the fleet and team totals, never dropped.
 * - Paid GPU-hours of a host-day are the larger of what the agent observed and what was billed (the records'
 *   consumed hours × GPUs per instance): a host billed while its agent was down is still paid for.
 * - Effective GPU-hours come from the host-hours (SM active basis). Idle cost = host cost × (1 − effective / paid),
 *   computed per host-day and summed, so a busy host does not hide an idle one. A host-day billed but never
 *   reported on by its agent is paid and idle in cost, but left out of effective utilization (nothing is known).
 * - Hour rows share a host-day's cost and paid hours by the hours it was observed (evenly when never observed).
 * - Workloads (Kubernetes namespaces, pods, jobs) take a host-day's cost by the GPU-hours they used at the host-day's
 *   cost per paid GPU-hour (see economics/workload-costs.ts); pods beyond the MAX_POD_ROWS costliest of a period are
 *   summed under `(other pods)`. Idle-held GPU-hours (idle with the framebuffer held) are priced the same way.
 * - Cost per million tokens and per 1,000 requests divide the cost that produced tokens (host cost plus priced API
 *   usage) by the tokens (self-hosted tokens served plus API tokens) and requests.
 *
 * The fold takes its inputs one by one in any order (streams), and holds only per host-day, per GPU and per row
 * aggregates, so a 30-day window of a 10,000-GPU fleet stays small.
 */
export interface EconomicsWindow {
  /** UTC day boundaries. */
  from: number;
  to: number;
  /** Also build hour rows for hours in [from, to) of this range (the hourly run: the current day). */
  hours?: { from: number; to: number } | undefined;
}

export interface EconomicsSettings {
  /** The cost allocation tag that names the team. */
  teamTag: string;
  currency?: string;
}

export interface UnitEconomicsResult {
  rows: UnitEconomicsRow[];
  pools: PoolObservation[];
  gpus: GpuObservation[];
  /** Pods, jobs and unnamed host GPU-hours that held GPUs idle, largest idle-held cost first. */
  workloads: WorkloadObservation[];
  /** Cost records joined to a host, and not. */
  allocation: { joinedRecords: number; unallocatedRecords: number; allocatedCost: string; unallocatedCost: string };
}

const NO_POOL = '(no pool)';
const UNTAGGED = '(untagged)';

interface HostInfo {
  hostId: string;
  pool: string;
  instanceId: string | null;
  instanceType: string | null;
  provider: string | null;
  region: string | null;
  gpuModel: string | null;
}

interface GpuAggregate {
  pool: string;
  hostId: string;
  model: string;
  observed: number;
  smWeighted: number;
  smObserved: number;
}

export class UnitEconomicsFold {
  private readonly hostDays = new Map<string, HostDay>();
  private readonly hosts = new Map<string, HostInfo>();
  private readonly resources = new Map<string, Map<number, ResourceDay>>();
  /** Records not (yet) known to belong to a host are kept per resource-day above; records without ResourceId here. */
  private readonly orphanCosts = new Map<
    string,
    {
      day: number;
      provider: string;
      service: string;
      team: string | null;
      cost: Decimal;
      pieces: { start: number; end: number; cost: Decimal }[];
    }
  >();
  private readonly resourceMeta = new Map<
    string,
    { provider: string; service: string; pieces: Map<number, { start: number; end: number; cost: Decimal }[]> }
  >();
  private readonly gpus = new Map<string, GpuAggregate>();
  private readonly usage = new Map<string, RowAccumulator>();
  private readonly usageHours = new Map<string, RowAccumulator>();
  /** Team-tagged cost per resource-day, for the team rows of resources that no host joins. */
  private readonly teamResourceCosts = new Map<string, { day: number; team: string; resource: string; cost: Decimal }>();
  private readonly currency: string;
  private readonly workloadDays = new WorkloadDays();
  private readonly jobEpochs = new JobEpochs();

  constructor(
    private readonly window: EconomicsWindow,
    private readonly settings: EconomicsSettings,
  ) {
    this.currency = settings.currency ?? 'USD';
  }

  addHostHour(h: HostHour): void {
    if (h.hour < this.window.from || h.hour >= this.window.to) return;
    const info = this.hosts.get(h.hostId);
    // The catalog's names (H100, A100-80GB), which prices use, from what the driver reports (NVIDIA H100 80GB HBM3).
    const gpuModels = new Set(h.gpus.map((g) => catalogModel(g.model)));
    const gpuModel = gpuModels.size === 1 ? [...gpuModels][0]! : null;
    this.hosts.set(h.hostId, {
      hostId: h.hostId,
      pool: h.pool ?? info?.pool ?? NO_POOL,
      instanceId: h.instanceId ?? info?.instanceId ?? null,
      instanceType: h.instanceType ?? info?.instanceType ?? null,
      provider: h.provider ?? info?.provider ?? null,
      region: h.region ?? info?.region ?? null,
      gpuModel: gpuModel ?? info?.gpuModel ?? null,
    });
    const day = Math.floor(h.hour / DAY_MS) * DAY_MS;
    const key = `${h.hostId}\u0000${day}`;
    let hd = this.hostDays.get(key);
    if (!hd) {
      hd = {
        hostId: h.hostId,
        day,
        observed: 0,
        effective: 0,
        idleHeld: 0,
        energyKwh: 0,
        tokens: 0,
        requests: 0,
        models: new Map(),
        gpus: new Set(),
        hours: new Map(),
      };
      this.hostDays.set(key, hd);
    }
    let tokens = 0;
    let requests = 0;
    for (const [model, served] of Object.entries(h.inference)) {
      tokens += served.tokens;
      requests += served.requests;
      addServed(hd.models, model, served);
    }
    hd.observed += h.observedGpuHours;
    hd.effective += h.effectiveGpuHours;
    hd.idleHeld += h.idleHeldGpuHours ?? 0;
    hd.energyKwh += h.energyKwh;
    hd.tokens += tokens;
    hd.requests += requests;
    for (const g of h.gpus) {
      hd.gpus.add(g.uuid);
      this.workloadDays.addGpuHour(h.hostId, day, h.hour, g);
    }
    if (this.window.hours && h.hour >= this.window.hours.from && h.hour < this.window.hours.to) {
      const models = new Map<string, { tokens: number; requests: number }>();
      for (const [model, served] of Object.entries(h.inference)) addServed(models, model, served);
      hd.hours.set(h.hour, {
        observed: h.observedGpuHours,
        effective: h.effectiveGpuHours,
        idleHeld: h.idleHeldGpuHours ?? 0,
        energyKwh: h.energyKwh,
        tokens,
        requests,
        models,
      });
    }
    for (const g of h.gpus) {
      let agg = this.gpus.get(g.uuid);
      if (!agg)
        this.gpus.set(
          g.uuid,
          (agg = { pool: h.pool ?? NO_POOL, hostId: h.hostId, model: catalogModel(g.model), observed: 0, smWeighted: 0, smObserved: 0 }),
        );
      agg.observed += g.observedGpuHours;
      if (g.smActive !== null) {
        agg.smWeighted += g.smActive * g.observedGpuHours;
        agg.smObserved += g.observedGpuHours;
      }
    }
  }

  addCost(record: FocusRecord): void {
    const amount = tryParseDecimal(record.EffectiveCost) ?? ZERO;
    const start = Date.parse(record.ChargePeriodStart);
    const end = Date.parse(record.ChargePeriodEnd);
    if (!(end > start)) return;
    const team = record.Tags?.[this.settings.teamTag] ?? null;
    const hours = consumedHours(record);
    const duration = end - start;
    // Spread the record evenly over its charge period, one piece per UTC day inside the window.
    for (let day = Math.floor(start / DAY_MS) * DAY_MS; day < end; day += DAY_MS) {
      const pieceStart = Math.max(start, day, this.window.from);
      const pieceEnd = Math.min(end, day + DAY_MS, this.window.to);
      if (pieceEnd <= pieceStart) continue;
      const share = pieceEnd - pieceStart;
      const cost = (amount * BigInt(share)) / BigInt(duration);
      const piece = { start: pieceStart, end: pieceEnd, cost };
      const resource = record.ResourceId ? resourceKey(record.ResourceId) : null;
      if (resource) {
        let days = this.resources.get(resource);
        if (!days) this.resources.set(resource, (days = new Map()));
        let rd = days.get(day);
        if (!rd)
          days.set(day, (rd = { cost: ZERO, billedInstanceHours: 0, gpusPerInstance: null, team: null, pricingCategories: new Set() }));
        rd.cost += cost;
        if (hours !== null) rd.billedInstanceHours += (hours * share) / duration;
        if (record.x_GpuCount) rd.gpusPerInstance = record.x_GpuCount;
        if (team) rd.team = team;
        if (record.PricingCategory && record.ChargeCategory === 'Usage') rd.pricingCategories.add(record.PricingCategory);
        let meta = this.resourceMeta.get(resource);
        if (!meta)
          this.resourceMeta.set(resource, (meta = { provider: record.ProviderName, service: record.ServiceName, pieces: new Map() }));
        const list = meta.pieces.get(day) ?? [];
        list.push(piece);
        meta.pieces.set(day, list);
        // Team-tagged cost of a resource is also kept for the team row, whether or not a host joins it.
        if (team) this.addTeamResourceCost(day, team, resource, piece.cost);
      } else {
        this.addOrphan(`${day}\u0000${record.ProviderName}\u0000${record.ServiceName}\u0000${team ?? ''}`, day, record, team, piece);
      }
    }
  }

  addUsage(minute: UsageMinute): void {
    if (minute.minute < this.window.from || minute.minute >= this.window.to) return;
    const t = minute.totals;
    const tokens = t.inputTokens + t.outputTokens;
    const day = Math.floor(minute.minute / DAY_MS) * DAY_MS;
    const hour = Math.floor(minute.minute / HOUR_MS) * HOUR_MS;
    const inHours = this.window.hours && hour >= this.window.hours.from && hour < this.window.hours.to;
    const targets: [UnitEconomicsScopeKind, string][] = [
      ['workflow', minute.dims.workflow ?? '(none)'],
      ['model', minute.dims.model],
      ['team', minute.dims.team ?? UNTAGGED],
      ['fleet', '*'],
    ];
    for (const [kind, scope] of targets) {
      for (const [map, start] of inHours
        ? ([
            [this.usage, day],
            [this.usageHours, hour],
          ] as const)
        : ([[this.usage, day]] as const)) {
        const key = `${kind}\u0000${scope}\u0000${start}`;
        let acc = map.get(key);
        if (!acc) map.set(key, (acc = new RowAccumulator()));
        acc.apiCost += t.cost;
        acc.cost += t.cost;
        acc.tokens += tokens;
        acc.requests += t.requests;
      }
    }
  }

  /** One team's share of a resource-day: a resource's records may carry different team tags. */
  private addTeamResourceCost(day: number, team: string, resource: string, cost: Decimal): void {
    const key = `${day}\u0000${team}\u0000${resource}`;
    let entry = this.teamResourceCosts.get(key);
    if (!entry) this.teamResourceCosts.set(key, (entry = { day, team, resource, cost: ZERO }));
    entry.cost += cost;
  }

  private addOrphan(
    key: string,
    day: number,
    record: FocusRecord,
    team: string | null,
    piece: { start: number; end: number; cost: Decimal },
  ): void {
    let orphan = this.orphanCosts.get(key);
    if (!orphan)
      this.orphanCosts.set(
        key,
        (orphan = { day, provider: record.ProviderName, service: record.ServiceName, team, cost: ZERO, pieces: [] }),
      );
    orphan.cost += piece.cost;
    orphan.pieces.push(piece);
  }

  result(): UnitEconomicsResult {
    const rows: RowBook = new Map();
    const row: RowOf = (kind, scope, period, start) => {
      const key = `${kind}\u0000${scope}\u0000${period}\u0000${start}`;
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { kind, scope, period, start, acc: new RowAccumulator() }));
      return r.acc;
    };
    const joined = this.joinCosts(row);
    const { poolFacts, workloadObservations } = this.addHostDays(row, joined.hostDayCost);
    this.addTeamCosts(row, joined.hostOfResource);
    this.addApiUsage(row);
    for (const r of rows.values()) if (r.kind === 'job') r.acc.epochs = this.jobEpochs.epochs(r.scope, r.start);
    foldSmallPods(rows);

    const out: UnitEconomicsRow[] = [];
    for (const r of rows.values()) out.push(this.finish(r.kind, r.scope, r.period, r.start, r.acc));
    out.sort(
      (a, b) =>
        a.period.localeCompare(b.period) ||
        a.start.localeCompare(b.start) ||
        kindOrder(a.scopeKind) - kindOrder(b.scopeKind) ||
        compareCostDesc(a, b),
    );

    return {
      rows: out,
      pools: this.poolObservations(poolFacts),
      gpus: this.gpuObservations(joined.hostDayCost),
      workloads: workloadObservations.result(this.window.to),
      allocation: {
        joinedRecords: joined.joinedRecords,
        unallocatedRecords: this.orphanCosts.size,
        allocatedCost: formatDecimal(joined.allocatedCost),
        unallocatedCost: formatDecimal(joined.unallocatedCost),
      },
    };
  }

  /** Cost records to host-days by resource id (the agent's instance id); the rest unallocated, by provider and service. */
  private joinCosts(row: RowOf) {
    // Which resource is which host.
    const hostOfResource = new Map<string, string>();
    for (const host of this.hosts.values()) if (host.instanceId) hostOfResource.set(resourceKey(host.instanceId), host.hostId);

    // Host-days: measured, with or without billing.
    const hostDayCost = new Map<string, HostDayCost>();
    for (const hd of this.hostDays.values())
      hostDayCost.set(`${hd.hostId}\u0000${hd.day}`, { rd: undefined, hd, hostId: hd.hostId, day: hd.day });
    let joinedRecords = 0;
    let allocatedCost = ZERO;
    let unallocatedCost = ZERO;
    for (const [resource, days] of this.resources) {
      const hostId = hostOfResource.get(resource);
      for (const [day, rd] of days) {
        if (hostId) {
          const key = `${hostId}\u0000${day}`;
          const entry = hostDayCost.get(key) ?? { rd: undefined, hd: undefined, hostId, day };
          entry.rd = rd;
          hostDayCost.set(key, entry);
          joinedRecords += 1;
          allocatedCost += rd.cost;
        } else {
          // A resource no agent reports: unallocated, by provider and service.
          const meta = this.resourceMeta.get(resource)!;
          unallocatedCost += rd.cost;
          for (const piece of meta.pieces.get(day) ?? []) this.addUnallocated(row, meta.provider, meta.service, day, piece);
        }
      }
    }
    for (const orphan of this.orphanCosts.values()) {
      unallocatedCost += orphan.cost;
      for (const piece of orphan.pieces) this.addUnallocated(row, orphan.provider, orphan.service, orphan.day, piece);
    }

    return { hostOfResource, hostDayCost, joinedRecords, allocatedCost, unallocatedCost };
  }

  /** Host, pool, fleet and team rows of each host-day; its models by tokens served; its workloads by GPU-hours; hour rows. */
  /** Host, pool, fleet and team rows of each host-day; its workloads by GPU-hours; its models by tokens served; hour rows. */
  private addHostDays(row: RowOf, hostDayCost: Map<string, HostDayCost>) {
    const workloadObservations = new WorkloadObservationFold();
    const poolFacts: PoolFacts = new Map();
    for (const entry of hostDayCost.values()) {
      const t = this.hostDayTotals(entry);
      notePoolFacts(poolFacts, entry, t);
      for (const [kind, scope] of t.scopes)
        addHostShare(row(kind, scope, 'day', entry.day), { ...t.share, observed: entry.hd !== undefined });
      if (entry.hd) {
        this.addWorkloadRows(row, entry, t, workloadObservations);
        addModelRows(row, entry.hd, t);
      }
      if (this.window.hours) this.addHourRows(row, entry, t, this.window.hours);
    }
    return { poolFacts, workloadObservations };
  }

  /**
   * What a host-day paid and did. Paid GPU-hours are the larger of what the agent observed and what was billed
   * (consumed hours × GPUs per instance), so a host billed while its agent was down is still paid for.
   */
  private hostDayTotals({ rd, hd, hostId }: HostDayCost): HostDayTotals {
    const host = this.hosts.get(hostId)!;
    const gpusOnHost = hd?.gpus.size || rd?.gpusPerInstance || 0;
    const billed = rd ? rd.billedInstanceHours * (rd.gpusPerInstance ?? gpusOnHost) : 0;
    const observed = hd?.observed ?? 0;
    const paid = Math.max(observed, billed);
    const effective = hd?.effective ?? 0;
    const cost = rd?.cost ?? ZERO;
    const idleHeld = hd?.idleHeld ?? 0;
    const team = rd?.team ?? null;
    const scopes: [UnitEconomicsScopeKind, string][] = [
      ['host', hostId],
      ['pool', host.pool],
      ['fleet', '*'],
      ...(team ? ([['team', team]] as [UnitEconomicsScopeKind, string][]) : []),
    ];
    return {
      pool: host.pool,
      team,
      observed,
      scopes,
      share: {
        cost,
        idle: idleCost(cost, effective, paid),
        idleHeldCost: idleHeldCost(cost, idleHeld, paid),
        paid,
        effective,
        idleHeld,
        energyKwh: hd?.energyKwh ?? 0,
        tokens: hd?.tokens ?? 0,
        requests: hd?.requests ?? 0,
      },
    };
  }

  /** Workloads (namespaces, pods, jobs) take the host-day's cost by the GPU-hours they used. */
  private addWorkloadRows(row: RowOf, { hostId, day }: HostDayCost, t: HostDayTotals, observations: WorkloadObservationFold): void {
    for (const entry of this.workloadDays.forHostDay(hostId, day)) {
      const share = workloadCost(entry, t.share.cost, t.share.paid);
      observations.add(entry, share, { hostId, pool: t.pool, team: t.team });
      if (entry.identity.job) this.jobEpochs.add(entry.identity.job, day, entry.epochMin, entry.epochMax);
      for (const [kind, scope] of workloadScopes(entry)) {
        addHostShare(row(kind, scope, 'day', day), {
          cost: share.cost,
          idle: share.idle,
          idleHeldCost: share.idleHeld,
          paid: entry.observed,
          effective: entry.effective,
          idleHeld: entry.idleHeld,
          energyKwh: 0,
          tokens: 0,
          requests: 0,
          observed: true,
        });
      }
    }
  }

  /** Hour rows: the day's cost and paid hours shared by the hours observed (evenly when none was). */
  private addHourRows(row: RowOf, { hd, day }: HostDayCost, t: HostDayTotals, hours: { from: number; to: number }): void {
    for (let hour = day; hour < day + DAY_MS; hour += HOUR_MS) {
      if (hour < hours.from || hour >= hours.to) continue;
      const h = hd?.hours.get(hour);
      const share = t.observed > 0 ? (h?.observed ?? 0) / t.observed : 1 / 24;
      if (share === 0 && !h) continue;
      const paid = t.share.paid * share;
      const cost = multiplyByRatio(t.share.cost, share);
      const effective = h?.effective ?? 0;
      const idleHeld = h?.idleHeld ?? 0;
      const hourShare = {
        cost,
        idle: idleCost(cost, effective, paid),
        idleHeldCost: idleHeldCost(cost, idleHeld, paid),
        paid,
        effective,
        idleHeld,
        energyKwh: h?.energyKwh ?? 0,
        tokens: h?.tokens ?? 0,
        requests: h?.requests ?? 0,
        observed: h !== undefined,
      };
      for (const [kind, scope] of t.scopes) addHostShare(row(kind, scope, 'hour', hour), hourShare);
    }
  }

  private addTeamCosts(row: RowOf, hostOfResource: Map<string, string>): void {
    // Team rows take every record tagged with the team (a host's or not), plus the team's API usage below.
    for (const entry of this.teamResourceCosts.values()) {
      if (hostOfResource.has(entry.resource)) continue; // counted through its host above
      const acc = row('team', entry.team, 'day', entry.day);
      acc.cost += entry.cost;
    }
    for (const orphan of this.orphanCosts.values()) {
      if (!orphan.team) continue;
      row('team', orphan.team, 'day', orphan.day).cost += orphan.cost;
    }
  }

  /** Priced API usage: by workflow, model, team and for the fleet. */
  private addApiUsage(row: RowOf): void {
    // API usage.
    for (const [map, period] of [
      [this.usage, 'day'],
      [this.usageHours, 'hour'],
    ] as const) {
      for (const [key, u] of map) {
        const [kind, scope, start] = key.split('\u0000') as [UnitEconomicsScopeKind, string, string];
        const acc = row(kind, scope, period, Number(start));
        acc.cost += u.cost;
        acc.apiCost += u.apiCost;
        acc.tokens += u.tokens;
        acc.requests += u.requests;
      }
    }
  }

  private addUnallocated(
    row: RowOf,
    provider: string,
    service: string,
    day: number,
    piece: { start: number; end: number; cost: Decimal },
  ): void {
    const scope = `${provider} ${service}`;
    row('unallocated', scope, 'day', day).cost += piece.cost;
    row('fleet', '*', 'day', day).cost += piece.cost;
    const hours = this.window.hours;
    if (!hours) return;
    const span = piece.end - piece.start;
    for (let hour = Math.floor(piece.start / HOUR_MS) * HOUR_MS; hour < piece.end; hour += HOUR_MS) {
      if (hour < hours.from || hour >= hours.to) continue;
      const overlap = Math.min(piece.end, hour + HOUR_MS) - Math.max(piece.start, hour);
      if (overlap <= 0) continue;
      const cost = (piece.cost * BigInt(overlap)) / BigInt(span);
      row('unallocated', scope, 'hour', hour).cost += cost;
      row('fleet', '*', 'hour', hour).cost += cost;
    }
  }

  private finish(
    kind: UnitEconomicsScopeKind,
    scope: string,
    period: 'hour' | 'day',
    start: number,
    acc: RowAccumulator,
  ): UnitEconomicsRow {
    const tokenCost = acc.gpuCost + acc.apiCost;
    return {
      scopeKind: kind,
      scope,
      period,
      start: new Date(start).toISOString(),
      end: new Date(start + (period === 'hour' ? HOUR_MS : DAY_MS)).toISOString(),
      currency: this.currency,
      cost: money(acc.cost),
      apiCost: money(acc.apiCost),
      paidGpuHours: roundTo(acc.paid, 6),
      effectiveGpuHours: roundTo(acc.effective, 6),
      effectiveUtilization: acc.observedPaid > 0 ? roundTo(Math.min(1, acc.effective / acc.observedPaid), 6) : null,
      idleCost: money(acc.idleCost),
      idleHeldGpuHours: roundTo(acc.idleHeld, 6),
      idleHeldCost: money(acc.idleHeldCost),
      epochs: acc.epochs,
      costPerEpoch: acc.epochs ? moneyPer(acc.cost, acc.epochs) : null,
      costPerEffectiveGpuHour: moneyPer(acc.gpuCost, acc.effective),
      tokens: acc.tokens,
      requests: acc.requests,
      costPerMillionTokens: moneyPer(tokenCost * 1_000_000n, acc.tokens),
      costPer1kRequests: moneyPer(tokenCost * 1000n, acc.requests),
      energyKwh: roundTo(acc.energyKwh, 6),
      kwhPerMillionTokens: acc.selfHostedTokens > 0 ? roundTo((acc.tokenEnergyKwh / acc.selfHostedTokens) * 1e6, 6) : null,
    };
  }

  private poolObservations(facts: PoolFacts): PoolObservation[] {
    const out: PoolObservation[] = [];
    for (const [pool, f] of facts) {
      const hosts = [...f.hosts].map((id) => this.hosts.get(id)!);
      const same = <T>(values: T[]): T | null => (new Set(values).size === 1 ? values[0]! : null);
      const daily: (number | null)[] = [];
      for (let day = this.window.from; day < this.window.to; day += DAY_MS) {
        const d = f.days.get(day);
        daily.push(d && d.paid > 0 ? roundTo(Math.min(1, d.effective / d.paid), 6) : null);
      }
      const category = f.categories.size === 1 ? [...f.categories][0]! : null;
      out.push({
        pool,
        provider: (same(hosts.map((h) => h.provider)) as CloudProvider | null) ?? null,
        region: same(hosts.map((h) => h.region)),
        instanceType: same(hosts.map((h) => h.instanceType)),
        gpuModel: same(hosts.map((h) => h.gpuModel)),
        pricingCategory: category === 'Standard' || category === 'Dynamic' || category === 'Committed' ? category : null,
        team: f.teams.size === 1 ? [...f.teams][0]! : null,
        hosts: f.hosts.size,
        gpus: f.gpus.size,
        windowStart: new Date(this.window.from).toISOString(),
        windowEnd: new Date(this.window.to).toISOString(),
        windowHours: (this.window.to - this.window.from) / HOUR_MS,
        paidGpuHours: roundTo(f.paid, 6),
        effectiveGpuHours: roundTo(f.effective, 6),
        cost: money(f.cost),
        costPerPaidGpuHour: moneyPer(f.cost, f.paid),
        dailyEffectiveUtilization: daily,
      });
    }
    return out.sort((a, b) => a.pool.localeCompare(b.pool));
  }

  private gpuObservations(hostDayCost: Map<string, HostDayCost>): GpuObservation[] {
    const hostCost = new Map<string, Decimal>();
    const hostGpus = new Map<string, Set<string>>();
    const hostTokens = new Map<string, number>();
    const hostObserved = new Map<string, number>();
    for (const { rd, hd, hostId } of hostDayCost.values()) {
      hostCost.set(hostId, (hostCost.get(hostId) ?? ZERO) + (rd?.cost ?? ZERO));
      const set = hostGpus.get(hostId) ?? new Set<string>();
      for (const g of hd?.gpus ?? []) set.add(g);
      hostGpus.set(hostId, set);
      hostTokens.set(hostId, (hostTokens.get(hostId) ?? 0) + (hd?.tokens ?? 0));
      hostObserved.set(hostId, (hostObserved.get(hostId) ?? 0) + (hd?.observed ?? 0));
    }
    const out: GpuObservation[] = [];
    for (const [uuid, g] of this.gpus) {
      const gpuCount = hostGpus.get(g.hostId)?.size || 1;
      const tokens = hostTokens.get(g.hostId) ?? 0;
      const observed = hostObserved.get(g.hostId) ?? 0;
      out.push({
        pool: g.pool,
        hostId: g.hostId,
        uuid,
        gpuModel: g.model,
        smActive: g.smObserved > 0 ? roundTo(g.smWeighted / g.smObserved, 6) : null,
        // Tokens per GPU-hour of the host: its GPUs share the host's tokens evenly (servers span GPUs).
        tokensPerGpuHour: tokens > 0 && observed > 0 ? roundTo(tokens / observed, 3) : null,
        paidGpuHours: roundTo(g.observed, 6),
        cost: money((hostCost.get(g.hostId) ?? ZERO) / BigInt(gpuCount)),
      });
    }
    return out.sort((a, b) => a.pool.localeCompare(b.pool) || a.hostId.localeCompare(b.hostId) || a.uuid.localeCompare(b.uuid));
  }
}

function catalogModel(reported: string): string {
  return gpuModelFromText(reported) ?? reported;
}

/** `i-0abc`, `/subscriptions/.../virtualMachines/gpu-01` and `projects/p/zones/z/instances/gpu-01` join on their last segment. */
export function resourceKey(resourceId: string): string {
  const trimmed = resourceId.trim().replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1).toLowerCase();
}

/** Instance-hours a usage record consumed, when its unit is time. */
function consumedHours(record: FocusRecord): number | null {
  if (record.ChargeCategory !== 'Usage' || record.ConsumedQuantity === null || record.ConsumedUnit === null) return null;
  const quantity = Number(record.ConsumedQuantity);
  if (!Number.isFinite(quantity)) return null;
  const unit = record.ConsumedUnit.trim().toLowerCase();
  if (/^(1 )?(hrs?|hours?|h)$/.test(unit)) return quantity;
  if (/^(s|secs?|seconds?)$/.test(unit)) return quantity / 3600;
  return null;
}

const order: UnitEconomicsScopeKind[] = ['fleet', 'pool', 'team', 'workflow', 'model', 'namespace', 'job', 'pod', 'host', 'unallocated'];
function kindOrder(kind: UnitEconomicsScopeKind): number {
  return order.indexOf(kind);
}

function compareCostDesc(a: UnitEconomicsRow, b: UnitEconomicsRow): number {
  const d = parseDecimal(b.cost) - parseDecimal(a.cost);
  return d > 0n ? 1 : d < 0n ? -1 : a.scope.localeCompare(b.scope);
}
