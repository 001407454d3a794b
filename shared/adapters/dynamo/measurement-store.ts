import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HostMinute } from '../../domain/measurements/rollup.js';
import { mergeHostMinutes } from '../../domain/measurements/rollup.js';
import type { BatchRecord, MeasurementStore, MinuteWrite } from '../../domain/measurements/ingest-measurements.js';
import { applyOnce, knownItem, readItems } from './apply-once.js';
import { queryAll } from './query.js';
import { ledgerKeys, type LooseScan } from './table.js';
import { mapWithConcurrency } from '../../concurrency.js';
import { payloadTooLarge } from '../../errors.js';
import { DAY_MS, dayOf } from '../../domain/core/utc-time.js';

/** DynamoDB items hold 400 KB; keys, batch ids and host metadata need some of it. */
const MAX_ROLLUP_BYTES = 350_000;
const BATCH_RECORD_TTL_DAYS = 30;

const minuteKey = ledgerKeys.hostMinute.key;
const batchKey = ledgerKeys.ingestBatch.key;

type MinuteItem = {
  pk: string;
  sk: string;
  gsi1pk: string;
  gsi1sk: string;
  hostId: string;
  m: number;
  v: number;
  b: Set<string>;
  h: string;
  g: string;
  i?: string;
  expiresAt: number;
};

function toItem(rollup: HostMinute, version: number, batches: Set<string>, retentionDays: number): MinuteItem {
  const gpus = JSON.stringify(rollup.gpus);
  const inference = rollup.inference ? JSON.stringify(rollup.inference) : undefined;
  const bytes = gpus.length + (inference?.length ?? 0) + [...batches].reduce((n, b) => n + b.length + 3, 0);
  if (bytes > MAX_ROLLUP_BYTES) {
    throw payloadTooLarge(
      `samples: host ${rollup.hostId} at ${new Date(rollup.minute).toISOString()} would hold ${Object.keys(rollup.gpus).length} GPUs and ` +
        `${bytes} bytes of rollups in one minute, over the ${MAX_ROLLUP_BYTES}-byte limit; send fewer fields or GPUs per host`,
    );
  }
  return {
    ...minuteKey(rollup.hostId, rollup.minute),
    ...ledgerKeys.hostMinuteByDay.key({ pool: rollup.host.pool, hostId: rollup.hostId, minuteMs: rollup.minute }),
    hostId: rollup.hostId,
    m: rollup.minute,
    v: version,
    b: batches,
    h: JSON.stringify(rollup.host),
    g: gpus,
    ...(inference ? { i: inference } : {}),
    expiresAt: Math.floor((rollup.minute + retentionDays * DAY_MS) / 1000),
  };
}

function fromItem(item: Record<string, unknown>): HostMinute {
  return {
    hostId: item.hostId as string,
    minute: item.m as number,
    host: JSON.parse(item.h as string),
    gpus: JSON.parse(item.g as string),
    ...(item.i ? { inference: JSON.parse(item.i as string) } : {}),
  };
}

/** DynamoDB access for GPU measurements: host-minute rollups and ingest batch records. */
export class DynamoMeasurementStore implements MeasurementStore {
  /** Write requests sent (successful or not); read by the benchmark. */
  writeRequests = 0;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = 400,
  ) {}

  async getBatch(hostId: string, batchId: string): Promise<BatchRecord | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: batchKey(hostId, batchId), ConsistentRead: true }),
    );
    if (!Item) return null;
    return { fingerprint: Item.fingerprint, accepted: Item.accepted, rejectedFields: Item.rejectedFields, createdAt: Item.createdAt };
  }

  async putBatch(hostId: string, batchId: string, record: BatchRecord): Promise<void> {
    this.writeRequests += 1;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...batchKey(hostId, batchId),
          ...record,
          expiresAt: Math.floor(Date.parse(record.createdAt) / 1000) + BATCH_RECORD_TTL_DAYS * 86_400,
        },
      }),
    );
  }

  /**
   * Apply each rollup exactly once per batch: read the current minutes in one request, then write each
   * merged minute with a version condition; a lost race re-reads that minute and merges again.
   */
  async applyMinutes(batchId: string, rollups: HostMinute[]): Promise<MinuteWrite[]> {
    // A minute that is too large on its own is refused before anything of the batch is written.
    for (const rollup of rollups) toItem(rollup, 0, new Set([batchId]), this.retentionDays);
    const current = await readItems(
      this.db,
      this.tableName,
      rollups.map((r) => minuteKey(r.hostId, r.minute)),
    );
    return mapWithConcurrency(rollups, 8, (rollup) => {
      const key = minuteKey(rollup.hostId, rollup.minute);
      return applyOnce(this.db, this.tableName, {
        key,
        known: knownItem(current, key),
        applier: batchId,
        build: (existing, version, batches) =>
          toItem(existing ? mergeHostMinutes(fromItem(existing), rollup) : rollup, version, batches, this.retentionDays),
        onWrite: () => void (this.writeRequests += 1),
        describe: `host-minute ${rollup.hostId}@${new Date(rollup.minute).toISOString()}`,
      });
    });
  }

  /**
   * Pools that reported on a day (`_` for hosts without one). A loose index scan: gsi1 keeps a day's minutes sorted
   * by pool, host and time, so one query of one item per pool finds the next pool without reading the minutes.
   */
  async poolsOfDay(day: string): Promise<string[]> {
    return this.distinctKeys(day, ledgerKeys.hostMinuteByDay.pools);
  }

  /** Hosts of one pool that reported on a day, by the same loose index scan. */
  async hostsOfPool(day: string, pool: string): Promise<string[]> {
    return this.distinctKeys(day, ledgerKeys.hostMinuteByDay.hosts(pool));
  }

  private async distinctKeys(day: string, scan: LooseScan): Promise<string[]> {
    const out: string[] = [];
    let lower = scan.from;
    for (;;) {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :a AND :b',
          ExpressionAttributeValues: { ':pk': ledgerKeys.hostMinuteByDay.pk(day), ':a': lower, ':b': scan.to },
          ProjectionExpression: 'gsi1sk',
          Limit: 1,
        }),
      );
      const sk = page.Items?.[0]?.gsi1sk as string | undefined;
      if (!sk) return out;
      const key = scan.read(sk);
      out.push(key);
      lower = scan.after(key);
    }
  }

  /** Rollups in [from, to), by host (table) or for the fleet or one pool (gsi1, one query per day). */
  async hostMinutes(query: { from: number; to: number; hostId?: string | undefined; pool?: string | undefined }): Promise<HostMinute[]> {
    const out: HostMinute[] = [];
    if (query.hostId) {
      const range = ledgerKeys.hostMinute.range(query.hostId, query.from, query.to - 1);
      for await (const item of queryAll(this.db, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':pk': range.pk, ':a': range.from, ':b': range.to },
      })) {
        const rollup = fromItem(item);
        if (!query.pool || rollup.host.pool === query.pool) out.push(rollup);
      }
      return out;
    }
    const days: string[] = [];
    for (let day = Math.floor(query.from / DAY_MS) * DAY_MS; day < query.to; day += DAY_MS) days.push(dayOf(day));
    const perDay = await mapWithConcurrency(days, 4, async (day) => {
      const items: HostMinute[] = [];
      for await (const item of queryAll(this.db, {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: query.pool ? 'gsi1pk = :pk AND begins_with(gsi1sk, :pool)' : 'gsi1pk = :pk',
        FilterExpression: '#m BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#m': 'm' },
        ExpressionAttributeValues: {
          ':pk': ledgerKeys.hostMinuteByDay.pk(day),
          ':from': query.from,
          ':to': query.to - 1,
          ...(query.pool ? { ':pool': ledgerKeys.hostMinuteByDay.poolPrefix(query.pool) } : {}),
        },
      })) {
        items.push(fromItem(item));
      }
      return items;
    });
    for (const items of perDay) out.push(...items);
    return out;
  }
}
