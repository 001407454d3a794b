import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CapacityObservation } from '../../domain/market/capacity.js';
import { batchWrite } from './batch-write.js';
import { queryAll } from './query.js';
import { ledgerKeys } from './table.js';

/** Capacity observations: the latest per subject (what `GET /v1/capacity` shows) and a dated history. */
const HISTORY_RETENTION_DAYS = 90;
const subjectOf = (o: CapacityObservation) => o.key.slice(0, o.key.lastIndexOf('#'));

export class DynamoCapacityStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** One run's observations: they replace the latest of their subjects. */
  async putObservations(observations: readonly CapacityObservation[]): Promise<void> {
    await batchWrite(
      this.db,
      this.tableName,
      observations.flatMap((o) => [
        { PutRequest: { Item: { ...ledgerKeys.latestCapacity.key(subjectOf(o)), o: JSON.stringify(o) } } },
        {
          PutRequest: {
            Item: {
              ...ledgerKeys.capacityHistory.key(o.observedAt.slice(0, 10), o.key),
              o: JSON.stringify(o),
              expiresAt: Math.floor(Date.parse(o.observedAt) / 1000) + HISTORY_RETENTION_DAYS * 86_400,
            },
          },
        },
      ]),
    );
  }

  async latest(filter: { kind?: CapacityObservation['kind'] | undefined; region?: string | undefined }): Promise<CapacityObservation[]> {
    const out: CapacityObservation[] = [];
    for await (const item of queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ledgerKeys.latestCapacity.pk },
    })) {
      const o = JSON.parse(item.o as string) as CapacityObservation;
      if ((!filter.kind || o.kind === filter.kind) && (!filter.region || o.region === filter.region)) out.push(o);
    }
    // A run observes a whole region at one time: subjects missing from the newest run are gone (a reservation
    // that ended), so only each kind and region's newest observation time counts.
    const newest = new Map<string, string>();
    for (const o of out) {
      const group = `${o.kind}#${o.region}`;
      if ((newest.get(group) ?? '') < o.observedAt) newest.set(group, o.observedAt);
    }
    return out.filter((o) => newest.get(`${o.kind}#${o.region}`) === o.observedAt);
  }
}
