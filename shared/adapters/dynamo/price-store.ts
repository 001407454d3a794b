import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GpuPricePoint } from '../../domain/market/price-points.js';
import { isConditionalCheckFailure } from './client.js';
import { batchWrite } from './batch-write.js';
import { queryAll } from './query.js';
import { mapWithConcurrency } from '../../concurrency.js';
import { DAY_MS } from '../../domain/core/utc-time.js';
import { ledgerKeys } from './table.js';

/**
 * GPU price points. History: one item per point, partitioned by GPU model and day of observation. Latest:
 * one item per offer (the key without its time), replaced only by a newer observation.
 */
const HISTORY_RETENTION_DAYS = 400;

const offerKey = (p: GpuPricePoint) => p.key.slice(0, p.key.lastIndexOf('#'));

export interface PriceFilter {
  gpuModel?: string | undefined;
  provider?: string | undefined;
  pricingCategory?: string | undefined;
  region?: string | undefined;
}

export function matchesPriceFilter(p: GpuPricePoint, f: PriceFilter): boolean {
  return (
    (!f.gpuModel || p.gpuModel === f.gpuModel) &&
    (!f.provider || p.provider === f.provider) &&
    (!f.pricingCategory || p.pricingCategory === f.pricingCategory) &&
    (!f.region || p.region === f.region)
  );
}

export class DynamoPriceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Store points (idempotent: the same point has the same key) and move each offer's latest forward. */
  async putPoints(points: readonly GpuPricePoint[]): Promise<void> {
    await batchWrite(
      this.db,
      this.tableName,
      points.map((p) => ({
        PutRequest: {
          Item: {
            ...ledgerKeys.priceHistory.key({ gpuModel: p.gpuModel, day: p.observedAt.slice(0, 10), pricePointKey: p.key }),
            p: JSON.stringify(p),
            expiresAt: Math.floor(Date.parse(p.observedAt) / 1000) + HISTORY_RETENTION_DAYS * 86_400,
          },
        },
      })),
    );
    // Only the newest point of each offer in this group competes for "latest".
    const newest = new Map<string, GpuPricePoint>();
    for (const p of points) {
      const k = offerKey(p);
      const seen = newest.get(k);
      if (!seen || seen.observedAt < p.observedAt) newest.set(k, p);
    }
    await mapWithConcurrency([...newest.values()], 8, async (p) => {
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...ledgerKeys.latestPrice.key(p.gpuModel, offerKey(p)), observedAt: p.observedAt, p: JSON.stringify(p) },
            ConditionExpression: 'attribute_not_exists(pk) OR observedAt <= :t',
            ExpressionAttributeValues: { ':t': p.observedAt },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error; // an older observation arrived late: keep the newer
      }
    });
  }

  async latest(filter: PriceFilter): Promise<GpuPricePoint[]> {
    const out: GpuPricePoint[] = [];
    for await (const item of queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: filter.gpuModel ? 'pk = :pk AND begins_with(sk, :model)' : 'pk = :pk',
      ExpressionAttributeValues: {
        ':pk': ledgerKeys.latestPrice.pk,
        ...(filter.gpuModel ? { ':model': ledgerKeys.latestPrice.modelPrefix(filter.gpuModel) } : {}),
      },
    })) {
      const p = JSON.parse(item.p as string) as GpuPricePoint;
      if (matchesPriceFilter(p, filter)) out.push(p);
    }
    return out;
  }

  /** Points observed in [from, to) for the given models, oldest first. */
  async history(models: readonly string[], range: { from: number; to: number }, filter: PriceFilter): Promise<GpuPricePoint[]> {
    const partitions: string[] = [];
    for (const model of models) {
      for (let t = Math.floor(range.from / DAY_MS) * DAY_MS; t < range.to; t += DAY_MS)
        partitions.push(ledgerKeys.priceHistory.pk(model, new Date(t).toISOString().slice(0, 10)));
    }
    const pages = await mapWithConcurrency(partitions, 8, async (pk) => {
      const found: GpuPricePoint[] = [];
      for await (const item of queryAll(this.db, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
      })) {
        const p = JSON.parse(item.p as string) as GpuPricePoint;
        const t = Date.parse(p.observedAt);
        if (t >= range.from && t < range.to && matchesPriceFilter(p, filter)) found.push(p);
      }
      return found;
    });
    return pages.flat().sort((a, b) => a.observedAt.localeCompare(b.observedAt) || a.key.localeCompare(b.key));
  }
}
