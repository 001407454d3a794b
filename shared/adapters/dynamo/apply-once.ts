import { BatchGetCommand, GetCommand, PutCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailure } from './client.js';

/**
 * Exactly-once merges into shared items (host-minute and usage-minute rollups). Each item carries a version
 * `v` and the set `b` of the appliers (batch ids) already merged into it. A writer reads the item, merges,
 * and writes on the version it read; a lost race re-reads and merges again; an applier already in `b`
 * writes nothing. So concurrent batches all count, and a retried batch never counts twice.
 */
export type Item = Record<string, unknown>;
export type ItemKey = { pk: string; sk: string };
export type ApplyResult = 'applied' | 'already-applied';

const keyString = (key: ItemKey) => `${key.pk}|${key.sk}`;
const MAX_ATTEMPTS = 40;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Consistent reads of many items, 100 keys a request; keys left unprocessed are simply absent. */
export async function readItems(db: DynamoDBDocumentClient, tableName: string, keys: readonly ItemKey[]): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Item[] | undefined = keys.slice(i, i + 100);
    for (let attempt = 0; pending && pending.length > 0 && attempt < 8; attempt++) {
      const out: BatchGetCommandOutput = await db.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[tableName] ?? []) found.set(keyString(item as ItemKey), item);
      pending = out.UnprocessedKeys?.[tableName]?.Keys;
      if (pending?.length) await sleep(20 * 2 ** attempt);
    }
    // Keys still unprocessed read as absent: the first write then loses its condition and re-reads.
  }
  return found;
}

export function knownItem(items: Map<string, Item>, key: ItemKey): Item | undefined {
  return items.get(keyString(key));
}

export interface ApplyOnce {
  key: ItemKey;
  /** The item as read before, if it was read. */
  known: Item | undefined;
  applier: string;
  /** The whole item to write, merged with `existing`, carrying `v: version` and `b: appliers`. */
  build(existing: Item | undefined, version: number, appliers: Set<string>): Item;
  /** Counts each write sent (benchmarks). */
  onWrite?: () => void;
  /** Names the item in the error when it stays contended. */
  describe: string;
}

export async function applyOnce(db: DynamoDBDocumentClient, tableName: string, request: ApplyOnce): Promise<ApplyResult> {
  let existing = request.known;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) existing = (await db.send(new GetCommand({ TableName: tableName, Key: request.key, ConsistentRead: true }))).Item;
    const appliers = new Set<string>((existing?.b as Set<string> | undefined) ?? []);
    if (appliers.has(request.applier)) return 'already-applied';
    appliers.add(request.applier);
    const version = existing ? (existing.v as number) : 0;
    try {
      request.onWrite?.();
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: request.build(existing, version + 1, appliers),
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
  throw new Error(`${request.describe} stayed contended after ${MAX_ATTEMPTS} attempts`);
}
