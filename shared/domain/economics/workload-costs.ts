import type { WorkloadObservation } from './fleet-observations.js';
import type { GpuHour } from '../measurements/host-hours.js';
import { podScope, workloadKey, type WorkloadIdentity } from '../measurements/workload.js';
import { ZERO, type Decimal, compareDecimal, formatDecimal, multiplyByRatio, roundDecimal } from '../core/money.js';
import { roundTo } from '../core/statistics.js';
import { idleCost } from './row-accumulator.js';

/**
 * What workloads (Kubernetes namespaces and pods, jobs) cost: a host-day's cost shared over the GPU-hours each
 * workload used, at the host-day's cost per paid GPU-hour. Idle cost is a workload's cost × (1 − effective ÷ its
 * GPU-hours); idle-held cost its cost × idle-held ÷ its GPU-hours. GPU-hours no workload named stay with the host
 * (and its pool), and are followed here only to find GPUs held idle without a name.
 */
export type WorkloadScopeKind = 'namespace' | 'pod' | 'job';

/** What one workload did on one host in one UTC day. */
export interface WorkloadDay {
  identity: WorkloadIdentity;
  /** The host's GPU-hours that no workload named. */
  unattributed: boolean;
  observed: number;
  effective: number;
  idleHeld: number;
  gpus: Set<string>;
  epochMin?: number;
  epochMax?: number;
  firstHour: number;
  lastHour: number;
}

const UNATTRIBUTED = '\u0002';
const EPSILON = 1e-9;

export class WorkloadDays {
  private readonly byHostDay = new Map<string, Map<string, WorkloadDay>>();

  private entry(hostId: string, day: number, key: string, identity: WorkloadIdentity, unattributed: boolean, hour: number): WorkloadDay {
    const id = `${hostId}\u0000${day}`;
    let entries = this.byHostDay.get(id);
    if (!entries) this.byHostDay.set(id, (entries = new Map()));
    let entry = entries.get(key);
    if (!entry) {
      const { namespace, pod, container, job } = identity;
      entry = {
        identity: { namespace, pod, container, job },
        unattributed,
        observed: 0,
        effective: 0,
        idleHeld: 0,
        gpus: new Set(),
        firstHour: hour,
        lastHour: hour,
      };
      entries.set(key, entry);
    }
    entry.firstHour = Math.min(entry.firstHour, hour);
    entry.lastHour = Math.max(entry.lastHour, hour);
    return entry;
  }

  /** One GPU's hour: its workloads' shares, and what is left over for no workload. */
  addGpuHour(hostId: string, day: number, hour: number, gpu: GpuHour): void {
    let observed = 0;
    let effective = 0;
    let idleHeld = 0;
    for (const w of gpu.workloads ?? []) {
      const entry = this.entry(hostId, day, workloadKey(w), w, false, hour);
      entry.observed += w.observedGpuHours;
      entry.effective += w.effectiveGpuHours;
      entry.idleHeld += w.idleHeldGpuHours;
      entry.gpus.add(gpu.uuid);
      if (w.epochMin !== undefined) entry.epochMin = Math.min(entry.epochMin ?? w.epochMin, w.epochMin);
      if (w.epochMax !== undefined) entry.epochMax = Math.max(entry.epochMax ?? w.epochMax, w.epochMax);
      observed += w.observedGpuHours;
      effective += w.effectiveGpuHours;
      idleHeld += w.idleHeldGpuHours;
    }
    const rest = gpu.observedGpuHours - observed;
    if (rest <= EPSILON) return;
    const entry = this.entry(hostId, day, UNATTRIBUTED, {}, true, hour);
    entry.observed += rest;
    entry.effective += Math.max(0, gpu.effectiveGpuHours - effective);
    entry.idleHeld += Math.max(0, (gpu.idleHeldGpuHours ?? 0) - idleHeld);
    entry.gpus.add(gpu.uuid);
  }

  forHostDay(hostId: string, day: number): WorkloadDay[] {
    return [...(this.byHostDay.get(`${hostId}\u0000${day}`)?.values() ?? [])];
  }
}

export interface WorkloadCost {
  cost: Decimal;
  idle: Decimal;
  idleHeld: Decimal;
}

/** A workload's share of its host-day's cost, and the idle and idle-held parts of that share. */
export function workloadCost(entry: WorkloadDay, hostCost: Decimal, paidGpuHours: number): WorkloadCost {
  const cost = paidGpuHours > 0 ? multiplyByRatio(hostCost, entry.observed / paidGpuHours) : ZERO;
  const idleHeld = entry.observed > 0 ? multiplyByRatio(cost, Math.min(1, entry.idleHeld / entry.observed)) : ZERO;
  return { cost, idle: idleCost(cost, entry.effective, entry.observed), idleHeld };
}

/** The unit-economics scopes a workload adds to: its namespace, its pod (`namespace/pod`) and its job. */
export function workloadScopes(entry: WorkloadDay): [WorkloadScopeKind, string][] {
  if (entry.unattributed) return [];
  const scopes: [WorkloadScopeKind, string][] = [];
  if (entry.identity.namespace) scopes.push(['namespace', entry.identity.namespace]);
  const pod = podScope(entry.identity);
  if (pod) scopes.push(['pod', pod]);
  if (entry.identity.job) scopes.push(['job', entry.identity.job]);
  return scopes;
}

/**
 * Epochs a job completed per day, from the completed-epoch counts it reported: the day's highest count less the
 * previous day's highest (or, on its first day, the day's lowest). A count that goes down (a restarted job) adds
 * nothing that day.
 */
export class JobEpochs {
  private readonly byJob = new Map<string, Map<number, { min: number; max: number }>>();

  add(job: string, day: number, min: number | undefined, max: number | undefined): void {
    if (min === undefined || max === undefined) return;
    let days = this.byJob.get(job);
    if (!days) this.byJob.set(job, (days = new Map()));
    const d = days.get(day);
    days.set(day, d ? { min: Math.min(d.min, min), max: Math.max(d.max, max) } : { min, max });
  }

  /** Epochs completed by the job on that day; null when it reported no count that day. */
  epochs(job: string, day: number): number | null {
    const days = this.byJob.get(job);
    const today = days?.get(day);
    if (!days || !today) return null;
    let previous: { day: number; max: number } | undefined;
    for (const [d, v] of days) if (d < day && (!previous || d > previous.day)) previous = { day: d, max: v.max };
    return Math.max(0, today.max - (previous ? previous.max : today.min));
  }
}

interface ObservationAcc {
  kind: WorkloadObservation['kind'];
  scope: string;
  identity: WorkloadIdentity;
  pools: Set<string>;
  teams: Set<string>;
  hosts: Set<string>;
  gpus: Set<string>;
  firstHour: number;
  lastHour: number;
  observed: number;
  effective: number;
  idleHeld: number;
  cost: Decimal;
  idleHeldCost: Decimal;
}

/** The most workload observations kept for the signals, largest idle-held cost first. */
export const MAX_WORKLOAD_OBSERVATIONS = 500;

/** Pods, jobs and unnamed host GPU-hours over the window, for the reclaim signal. */
export class WorkloadObservationFold {
  private readonly byScope = new Map<string, ObservationAcc>();

  add(entry: WorkloadDay, cost: WorkloadCost, where: { hostId: string; pool: string; team: string | null }): void {
    const pod = podScope(entry.identity);
    const [kind, scope]: [WorkloadObservation['kind'], string] | [null, null] = entry.unattributed
      ? ['host', where.hostId]
      : pod
        ? ['pod', pod]
        : entry.identity.job
          ? ['job', entry.identity.job]
          : [null, null];
    if (!kind) return;
    const key = `${kind}\u0000${scope}`;
    let acc = this.byScope.get(key);
    if (!acc) {
      acc = {
        kind,
        scope,
        identity: entry.identity,
        pools: new Set(),
        teams: new Set(),
        hosts: new Set(),
        gpus: new Set(),
        firstHour: entry.firstHour,
        lastHour: entry.lastHour,
        observed: 0,
        effective: 0,
        idleHeld: 0,
        cost: ZERO,
        idleHeldCost: ZERO,
      };
      this.byScope.set(key, acc);
    }
    acc.pools.add(where.pool);
    if (where.team) acc.teams.add(where.team);
    acc.hosts.add(where.hostId);
    for (const g of entry.gpus) acc.gpus.add(g);
    acc.firstHour = Math.min(acc.firstHour, entry.firstHour);
    acc.lastHour = Math.max(acc.lastHour, entry.lastHour);
    acc.observed += entry.observed;
    acc.effective += entry.effective;
    acc.idleHeld += entry.idleHeld;
    acc.cost += cost.cost;
    acc.idleHeldCost += cost.idleHeld;
  }

  result(windowEnd: number): WorkloadObservation[] {
    const money = (v: Decimal) => formatDecimal(roundDecimal(v, 6));
    return [...this.byScope.values()]
      .filter((a) => a.idleHeld > EPSILON)
      .sort((a, b) => compareDecimal(b.idleHeldCost, a.idleHeldCost) || b.idleHeld - a.idleHeld || a.scope.localeCompare(b.scope))
      .slice(0, MAX_WORKLOAD_OBSERVATIONS)
      .map((a) => ({
        kind: a.kind,
        scope: a.scope,
        namespace: a.identity.namespace ?? null,
        pod: a.identity.pod ?? null,
        job: a.identity.job ?? null,
        pool: a.pools.size === 1 ? [...a.pools][0]! : null,
        team: a.teams.size === 1 ? [...a.teams][0]! : null,
        hosts: [...a.hosts].sort().slice(0, 10),
        gpus: a.gpus.size,
        firstSeen: new Date(a.firstHour).toISOString(),
        lastSeen: new Date(a.lastHour).toISOString(),
        windowEnd: new Date(windowEnd).toISOString(),
        observedGpuHours: roundTo(a.observed, 6),
        effectiveGpuHours: roundTo(a.effective, 6),
        idleHeldGpuHours: roundTo(a.idleHeld, 6),
        cost: money(a.cost),
        idleHeldCost: money(a.idleHeldCost),
      }));
  }
}
