import { BatchGetCommand, type BatchGetCommandOutput, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HostMinute } from '../../domain/rollup.js';
import { mergeHostMinutes } from '../../domain/rollup.js';
import type { BatchRecord, MeasurementStore, MinuteWrite } from '../../domain/ingest-measurements.js';
import { isConditionalCheckFailure } from './client.js';
import { queryAll } from './query.js';
import { epochKey } from './table.js';
import { mapWithConcurrency } from '../../concurrency.js';
import { payloadTooLarge } from '../../errors.js';

const NO_POOL = '_';
/** DynamoDB items hold 400 KB; keys, batch ids and host metadata need some of it. */
const MAX_ROLLUP_BYTES = 350_000;
const DAY_MS = 86_400_000;
const BATCH_RECORD_TTL_DAYS = 30;

const minuteKey = (hostId: string, minute: number) => ({ pk: `HOST#${hostId}`, sk: `MIN#${epochKey(minute)}` });
const batchKey = (hostId: string, batchId: string) => ({ pk: `BATCH#${hostId}#${batchId}`, sk: 'BATCH' });
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface MinuteItem {
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
}

function toItem(rollup: HostMinute, version: number, batches: Set<string>, retentionDays: number): MinuteItem {
  const pool = rollup.host.pool ?? NO_POOL;
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
    gsi1pk: `ROLLUP#${dayOf(rollup.minute)}`,
    gsi1sk: `POOL#${pool}#HOST#${rollup.hostId}#${epochKey(rollup.minute)}`,
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
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: batchKey(hostId, batchId), ConsistentRead: true }));
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
    const current = await this.readMinutes(rollups);
    return mapWithConcurrency(rollups, 8, (rollup) => this.applyOne(batchId, rollup, current.get(minuteKey(rollup.hostId, rollup.minute).sk)));
  }

  private async readMinutes(rollups: HostMinute[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < rollups.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = rollups.slice(i, i + 100).map((r) => minuteKey(r.hostId, r.minute));
      for (let attempt = 0; keys && keys.length > 0 && attempt < 8; attempt++) {
        const out: BatchGetCommandOutput = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(item.sk as string, item);
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys;
        if (keys?.length) await sleep(20 * 2 ** attempt);
      }
      // Keys still unprocessed are read one by one in applyOne.
    }
    return found;
  }

  private async applyOne(batchId: string, rollup: HostMinute, known: Record<string, unknown> | undefined): Promise<MinuteWrite> {
    let existing = known;
    for (let attempt = 0; attempt < 40; attempt++) {
      if (attempt > 0) {
        const { Item } = await this.db.send(
          new GetCommand({ TableName: this.tableName, Key: minuteKey(rollup.hostId, rollup.minute), ConsistentRead: true }),
        );
        existing = Item;
      }
      const batches = new Set<string>((existing?.b as Set<string> | undefined) ?? []);
      if (batches.has(batchId)) return 'already-applied';
      batches.add(batchId);
      const merged = existing ? mergeHostMinutes(fromItem(existing), rollup) : rollup;
      const version = existing ? (existing.v as number) : 0;
      try {
        this.writeRequests += 1;
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: toItem(merged, version + 1, batches, this.retentionDays),
            ConditionExpression: existing ? '#v = :v' : 'attribute_not_exists(pk)',
            ...(existing ? { ExpressionAttributeNames: { '#v': 'v' }, ExpressionAttributeValues: { ':v': version } } : {}),
          }),
        );
        return 'applied';
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error;
        await sleep(Math.random() * Math.min(200, 5 * 2 ** Math.min(attempt, 6)));
      }
    }
    throw new Error(`host-minute ${rollup.hostId}@${new Date(rollup.minute).toISOString()} stayed contended after 40 attempts`);
  }

  /** Rollups in [from, to), by host (table) or for the fleet or one pool (gsi1, one query per day). */
  async hostMinutes(query: { from: number; to: number; hostId?: string | undefined; pool?: string | undefined }): Promise<HostMinute[]> {
    const out: HostMinute[] = [];
    if (query.hostId) {
      for await (const item of queryAll(this.db, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':pk': `HOST#${query.hostId}`, ':a': `MIN#${epochKey(query.from)}`, ':b': `MIN#${epochKey(query.to - 1)}` },
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
          ':pk': `ROLLUP#${day}`,
          ':from': query.from,
          ':to': query.to - 1,
          ...(query.pool ? { ':pool': `POOL#${query.pool}#` } : {}),
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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
