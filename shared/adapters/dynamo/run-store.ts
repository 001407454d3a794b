import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CollectorName, CollectorRun } from '../../domain/providers/collector-runs.js';
import { ledgerKeys } from './table.js';

const RUN_RETENTION_DAYS = 90;

/** Collector run records: newest first, for one collector (table) or all (gsi1). */
export class DynamoRunStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putRun(run: CollectorRun): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...ledgerKeys.collectorRun.key(run),
          ...ledgerKeys.collectorRunByTime.key(run.startedAt, run.runId),
          run: JSON.stringify(run),
          expiresAt: Math.floor(Date.parse(run.startedAt) / 1000) + RUN_RETENTION_DAYS * 86_400,
        },
      }),
    );
  }

  async listRuns(query: { collector?: CollectorName | undefined; limit: number }): Promise<CollectorRun[]> {
    const out: CollectorRun[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          ...(query.collector
            ? { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': ledgerKeys.collectorRun.pk(query.collector) } }
            : {
                IndexName: 'gsi1',
                KeyConditionExpression: 'gsi1pk = :pk',
                ExpressionAttributeValues: { ':pk': ledgerKeys.collectorRunByTime.pk },
              }),
          ScanIndexForward: false,
          Limit: query.limit - out.length,
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) out.push(JSON.parse(item.run as string));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey && out.length < query.limit);
    return out;
  }
}
