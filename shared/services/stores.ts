import type { AnomalyFeedback, StoredAnomaly } from '../adapters/dynamo/anomaly-store.js';
import type { AnalysisRun, FleetObservations } from '../adapters/dynamo/economics-store.js';
import type { CostQuery } from '../adapters/dynamo/cost-store.js';
import type { PriceFilter } from '../adapters/dynamo/price-store.js';
import type { AnomalyView } from '../domain/anomalies/anomaly-view.js';
import type { Budget } from '../domain/budgets/budgets.js';
import type { DigestModel } from '../domain/digest/digest-model.js';
import type { UnitEconomicsRow } from '../domain/economics/unit-economics-row.js';
import type { FocusRecord } from '../domain/costs/focus.js';
import type { CapacityObservation } from '../domain/market/capacity.js';
import type { GpuPricePoint } from '../domain/market/price-points.js';
import type { HostHour } from '../domain/measurements/host-hours.js';
import type { HostMinute } from '../domain/measurements/rollup.js';
import type { RaisedSignal } from '../domain/signals/signal-terms.js';
import type { SignalStatus, StoredSignal } from '../domain/signals/signal-query.js';
import type { SignalType, SignalView } from '../domain/signals/signal-view.js';
import type { UsageMinute } from '../domain/usage/usage-rollup.js';

/**
 * What the use cases need of storage: small interfaces, each a capability, that the DynamoDB stores in
 * shared/adapters/dynamo/ provide (and that a test can provide with plain objects).
 */

/** One claim per alert key: an alert is raised once, and a claim is released when its event could not be sent. */
export interface AlertClaims {
  claimAlert(alertKey: string, nowMs: number): Promise<boolean>;
  releaseAlert(alertKey: string): Promise<void>;
}

/** One claim per alert and channel: each channel receives an alert once. */
export interface DeliveryClaims {
  claimDelivery(alertKey: string, channel: string, nowMs: number): Promise<boolean>;
  releaseDelivery(alertKey: string, channel: string): Promise<void>;
}

export interface DigestReader {
  getDigest(date: string): Promise<DigestModel | undefined>;
}

export interface DigestWriter {
  putDigest(model: DigestModel): Promise<void>;
}

export interface AnomalyRecords {
  putAnomalies(anomalies: readonly AnomalyView[], nowMs: number): Promise<void>;
  listAnomalies(query: { from: string; to: string; kind?: AnomalyView['kind'] | undefined }): Promise<StoredAnomaly[]>;
  setFeedback(anomalyId: string, feedback: AnomalyFeedback): Promise<StoredAnomaly | null>;
}

export interface SignalRecords {
  upsert(signal: RaisedSignal, nowMs: number): Promise<SignalView>;
  list(query: { status: SignalStatus; type?: SignalType | undefined; limit?: number | undefined }): Promise<StoredSignal[]>;
  resolve(signalIds: readonly string[], nowMs: number): Promise<string[]>;
}

export interface BudgetList {
  listBudgets(): Promise<Budget[]>;
}

export interface BudgetRecords extends BudgetList {
  createBudget(budget: Budget): Promise<boolean>;
  replaceBudget(budget: Budget): Promise<boolean>;
  getBudget(id: string): Promise<Budget | null>;
  deleteBudget(id: string): Promise<boolean>;
}

export interface CostRecords {
  records(query: CostQuery): AsyncIterable<FocusRecord>;
}

export interface UsageMinutes {
  usageMinutes(window: { from: number; to: number }): Promise<UsageMinute[]>;
}

export interface PriceReader {
  latest(filter: PriceFilter): Promise<GpuPricePoint[]>;
  history(models: readonly string[], range: { from: number; to: number }, filter: PriceFilter): Promise<GpuPricePoint[]>;
}

export interface CapacityReader {
  latest(filter: { kind?: CapacityObservation['kind'] | undefined; region?: string | undefined }): Promise<CapacityObservation[]>;
}

/** The pools and hosts that reported on a day, and their minute rollups. */
export interface MeasurementReader {
  poolsOfDay(day: string): Promise<string[]>;
  hostsOfPool(day: string, pool: string): Promise<string[]>;
  hostMinutes(query: { from: number; to: number; hostId?: string | undefined; pool?: string | undefined }): Promise<HostMinute[]>;
}

/** The analysis's own records: host-hours, unit-economics rows, fleet observations and runs. */
export interface EconomicsRecords {
  putHostHours(hours: readonly HostHour[]): Promise<void>;
  hostHours(range: { from: number; to: number }): AsyncIterable<HostHour>;
  putRows(rows: readonly UnitEconomicsRow[]): Promise<void>;
  rows(query: {
    period: 'hour' | 'day';
    from: number;
    to: number;
    scopeKind?: string | undefined;
    scope?: string | undefined;
  }): Promise<UnitEconomicsRow[]>;
  putObservations(date: string, observations: FleetObservations): Promise<void>;
  latestObservations(date: string, lookbackDays?: number): Promise<{ date: string | null } & Required<FleetObservations>>;
  putRun(run: AnalysisRun): Promise<void>;
  runs(limit: number): Promise<AnalysisRun[]>;
}
