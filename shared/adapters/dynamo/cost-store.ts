import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FocusRecord, KeyedFocusRecord } from '../../domain/costs/focus.js';
import type { CloudProvider } from '../../domain/providers/gpu-catalog.js';
import { mapWithConcurrency } from '../../concurrency.js';
import { batchWrite } from './batch-write.js';
import { queryAll } from './query.js';
import { DAY_MS } from '../../domain/core/utc-time.js';
import { ledgerKeys } from './table.js';

/**
 * FOCUS cost records, one item per record key, partitioned by provider, billing account and charge day.
 * Re-collecting a period overwrites the same keys; after a complete run, records of the period that the
 * provider no longer reports (a restatement merged or removed them) are deleted.
 */
/** The UTC day of an ISO-8601 time, as written (`2026-11-20T06:00:00Z` → `2026-11-20`). */
const dayOfIso = (iso: string) => iso.slice(0, 10);

export interface CostQuery {
  from: string;
  to: string;
  provider?: CloudProvider | undefined;
}

export class DynamoCostStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Write a group of records of one run (any size; sent 25 at a time). */
  async putRecords(runId: string, records: readonly KeyedFocusRecord[]): Promise<void> {
    await batchWrite(
      this.db,
      this.tableName,
      records.map(({ key, record }) => {
        const parts = {
          provider: key.provider,
          account: key.billingAccountId,
          day: dayOfIso(record.ChargePeriodStart),
          dimensionsHash: key.dimensionsHash,
        };
        return {
          PutRequest: {
            Item: {
              ...ledgerKeys.cost.key(parts),
              ...ledgerKeys.costByDay.key(parts),
              run: runId,
              r: JSON.stringify(record),
            },
          },
        };
      }),
    );
  }

  /** Delete records of these accounts and days that the run `runId` did not write. Returns how many. */
  async removeStale(
    runId: string,
    provider: CloudProvider,
    accounts: Iterable<string>,
    period: { start: string; end: string },
  ): Promise<number> {
    const days: string[] = [];
    for (let t = Date.parse(`${period.start.slice(0, 10)}T00:00:00Z`); t < Date.parse(period.end); t += DAY_MS)
      days.push(new Date(t).toISOString().slice(0, 10));
    const partitions = [...new Set(accounts)].flatMap((account) => days.map((day) => ledgerKeys.cost.pk({ provider, account, day })));
    const removed = await mapWithConcurrency(partitions, 4, async (pk) => {
      const stale: { pk: string; sk: string }[] = [];
      for await (const item of queryAll(this.db, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: '#run <> :run',
        ProjectionExpression: 'pk, sk',
        ExpressionAttributeNames: { '#run': 'run' },
        ExpressionAttributeValues: { ':pk': pk, ':run': runId },
      })) {
        stale.push(item as { pk: string; sk: string });
      }
      if (stale.length)
        await batchWrite(
          this.db,
          this.tableName,
          stale.map((Key) => ({ DeleteRequest: { Key } })),
        );
      return stale.length;
    });
    return removed.reduce((a, b) => a + b, 0);
  }

  /** Records whose charge day lies in [from, to), one query per day on gsi1. */
  async *records(query: CostQuery): AsyncGenerator<FocusRecord> {
    for (let t = Date.parse(`${query.from.slice(0, 10)}T00:00:00Z`); t < Date.parse(query.to); t += DAY_MS) {
      const day = new Date(t).toISOString().slice(0, 10);
      for await (const item of queryAll(this.db, {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: query.provider ? 'gsi1pk = :pk AND begins_with(gsi1sk, :provider)' : 'gsi1pk = :pk',
        ExpressionAttributeValues: {
          ':pk': ledgerKeys.costByDay.pk(day),
          ...(query.provider ? { ':provider': ledgerKeys.costByDay.providerPrefix(query.provider) } : {}),
        },
      })) {
        yield JSON.parse(item.r as string) as FocusRecord;
      }
    }
  }
}
