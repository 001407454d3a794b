import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../../concurrency.js';
import type { GpuObservation, PoolObservation, WorkloadObservation } from '../../domain/economics/fleet-observations.js';
import { type HostHour } from '../../domain/measurements/host-hours.js';
import { DAY_MS, dayOf } from '../../domain/core/utc-time.js';
import type { UnitEconomicsRow } from '../../domain/economics/unit-economics-row.js';
import { batchWrite } from './batch-write.js';
import { queryAll } from './query.js';
import { ledgerKeys } from './table.js';

/** A stored row; rows written before idle-held GPU-hours and epochs were measured read as none of either. */
function rowOf(text: string): UnitEconomicsRow {
  return {
    idleHeldGpuHours: 0,
    idleHeldCost: '0',
    epochs: null,
    costPerEpoch: null,
    ...(JSON.parse(text) as Partial<UnitEconomicsRow>),
  } as UnitEconomicsRow;
}

/** What a daily run observed of the fleet over its trailing window: the input of the signals. */
export interface FleetObservations {
  pools: readonly PoolObservation[];
  gpus: readonly GpuObservation[];
  workloads?: readonly WorkloadObservation[];
}

/** What one analysis execution did, for `GET /v1/analysis-runs` and the digest's failed scopes. */
export interface AnalysisRun {
  executionId: string;
  mode: 'hourly' | 'daily';
  date: string;
  startedAt: string;
  finishedAt: string;
  status: 'ok' | 'partial' | 'failed';
  pools: { pool: string; status: 'ok' | 'failed'; hostHours?: number | undefined; error?: string | undefined }[];
  steps: { step: string; status: 'ok' | 'failed'; error?: string | undefined }[];
}

/**
 * The analysis's own items: host-hours, unit-economics rows, the fleet observations the signals read, and runs
 * (keys `hostHour`, `economicsRow`, `economicsRowByScope`, `poolObservation`, `gpuObservation`,
 * `workloadObservation` and `analysisRun` in `table.ts`).
 */
export class DynamoEconomicsStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  private expiresAt(ms: number): number {
    return Math.floor(ms / 1000) + this.retentionDays * 86_400;
  }

  /** Host-hours are replaced whole: a re-run (late measurements) writes the same keys. */
  async putHostHours(hours: readonly HostHour[]): Promise<void> {
    await batchWrite(
      this.db,
      this.tableName,
      hours.map((h) => ({
        PutRequest: {
          Item: {
            ...ledgerKeys.hostHour.key({ pool: h.pool, hostId: h.hostId, hourMs: h.hour }),
            d: JSON.stringify(h),
            expiresAt: this.expiresAt(h.hour),
          },
        },
      })),
    );
  }

  /** Host-hours in [from, to), one partition per day, streamed. */
  async *hostHours(range: { from: number; to: number }): AsyncGenerator<HostHour> {
    for (let day = Math.floor(range.from / DAY_MS) * DAY_MS; day < range.to; day += DAY_MS) {
      for await (const item of queryAll(this.db, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': ledgerKeys.hostHour.pk(day) },
      })) {
        const h = JSON.parse(item.d as string) as HostHour;
        if (h.hour >= range.from && h.hour < range.to) yield h;
      }
    }
  }

  async putRows(rows: readonly UnitEconomicsRow[]): Promise<void> {
    await batchWrite(
      this.db,
      this.tableName,
      rows.map((r) => {
        const start = Date.parse(r.start);
        const parts = { period: r.period, day: r.start.slice(0, 10), scopeKind: r.scopeKind, scope: r.scope, startMs: start };
        return {
          PutRequest: {
            Item: {
              ...ledgerKeys.economicsRow.key(parts),
              ...ledgerKeys.economicsRowByScope.key(parts),
              r: JSON.stringify(r),
              expiresAt: this.expiresAt(start),
            },
          },
        };
      }),
    );
  }

  /** Rows of a period in [from, to), optionally of one scope kind (and scope). */
  async rows(query: {
    period: 'hour' | 'day';
    from: number;
    to: number;
    scopeKind?: string | undefined;
    scope?: string | undefined;
  }): Promise<UnitEconomicsRow[]> {
    if (query.scopeKind && query.scope) {
      const range = ledgerKeys.economicsRowByScope.range(
        { period: query.period, scopeKind: query.scopeKind, scope: query.scope },
        query.from,
        query.to - 1,
      );
      const out: UnitEconomicsRow[] = [];
      for await (const item of queryAll(this.db, {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':pk': range.pk, ':a': range.from, ':b': range.to },
      })) {
        out.push(rowOf(item.r as string));
      }
      return out;
    }
    const days: number[] = [];
    for (let day = Math.floor(query.from / DAY_MS) * DAY_MS; day < query.to; day += DAY_MS) days.push(day);
    const perDay = await mapWithConcurrency(days, 4, async (day) => {
      const out: UnitEconomicsRow[] = [];
      for await (const item of queryAll(this.db, {
        TableName: this.tableName,
        KeyConditionExpression: query.scopeKind ? 'pk = :pk AND begins_with(sk, :kind)' : 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': ledgerKeys.economicsRow.pk(query.period, dayOf(day)),
          ...(query.scopeKind ? { ':kind': ledgerKeys.economicsRow.scopeKindPrefix(query.scopeKind) } : {}),
        },
      })) {
        const row = rowOf(item.r as string);
        const start = Date.parse(row.start);
        if (start >= query.from && start < query.to) out.push(row);
      }
      return out;
    });
    return perDay.flat();
  }

  async putObservations(date: string, observations: FleetObservations): Promise<void> {
    const expiresAt = this.expiresAt(Date.parse(date));
    await batchWrite(this.db, this.tableName, [
      ...observations.pools.map((p) => ({
        PutRequest: { Item: { ...ledgerKeys.poolObservation.key(date, p.pool), o: JSON.stringify(p), expiresAt } },
      })),
      ...observations.gpus.map((g) => ({
        PutRequest: { Item: { ...ledgerKeys.gpuObservation.key(date, g.uuid), o: JSON.stringify(g), expiresAt } },
      })),
      ...(observations.workloads ?? []).map((w) => ({
        PutRequest: { Item: { ...ledgerKeys.workloadObservation.key(date, w), o: JSON.stringify(w), expiresAt } },
      })),
    ]);
  }

  /** The observations of the latest daily run on or before `date`, looking back `lookbackDays`; empty when none. */
  async latestObservations(date: string, lookbackDays = 3): Promise<{ date: string | null } & Required<FleetObservations>> {
    for (let back = 0; back <= lookbackDays; back++) {
      const day = dayOf(Date.parse(`${date}T00:00:00Z`) - back * DAY_MS);
      const found = await this.observations(day);
      if (found.pools.length || found.gpus.length) return { date: day, ...found };
    }
    return { date: null, pools: [], gpus: [], workloads: [] };
  }

  async observations(date: string): Promise<Required<FleetObservations>> {
    const pools: PoolObservation[] = [];
    const gpus: GpuObservation[] = [];
    const workloads: WorkloadObservation[] = [];
    for await (const item of queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ledgerKeys.poolObservation.pk(date) },
    })) {
      const sk = item.sk as string;
      if (sk.startsWith(ledgerKeys.poolObservation.skPrefix)) pools.push(JSON.parse(item.o as string));
      else if (sk.startsWith(ledgerKeys.workloadObservation.skPrefix)) workloads.push(JSON.parse(item.o as string));
      else gpus.push(JSON.parse(item.o as string));
    }
    return { pools, gpus, workloads };
  }

  async putRun(run: AnalysisRun): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...ledgerKeys.analysisRun.key(run.startedAt, run.executionId),
          run: JSON.stringify(run),
          expiresAt: this.expiresAt(Date.parse(run.startedAt)),
        },
      }),
    );
  }

  /** The newest `limit` runs, page after page: one page stops at 1 MB, which a few large run records can fill. */
  async runs(limit: number): Promise<AnalysisRun[]> {
    const out: AnalysisRun[] = [];
    for await (const item of queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ledgerKeys.analysisRun.pk },
      ScanIndexForward: false,
      Limit: limit,
    })) {
      out.push(JSON.parse(item.run as string));
      if (out.length >= limit) break;
    }
    return out;
  }
}
