/**
 * The single DynamoDB table: its one definition, read by `stacks/storage.ts` (deployed) and by the local
 * runtime and tests (created in DynamoDB Local). Generic key attributes, access patterns named below.
 */
export const ledgerTable = {
  /** Logical name used by SST and the local runtime's default table name. */
  name: 'Ledger',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  stream: 'new-and-old-images',
  globalIndexes: {
    gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  },
} as const;

export type LedgerTableDefinition = typeof ledgerTable;

/** Every attribute used as a key, with its DynamoDB type. */
export const ledgerKeyAttributes = {
  pk: 'S',
  sk: 'S',
  gsi1pk: 'S',
  gsi1sk: 'S',
} as const;

/**
 * Access patterns. Every read the product makes is one of these rows.
 *
 * | pattern                                  | index | key condition                                                   |
 * |------------------------------------------|-------|-----------------------------------------------------------------|
 * | host-minute rollup, one host, time range | table | pk = HOST#<hostId>, sk BETWEEN MIN#<fromMs> AND MIN#<toMs>      |
 * | host-minute rollups, one day, fleet/pool | gsi1  | gsi1pk = ROLLUP#<yyyy-mm-dd>, gsi1sk begins_with POOL#<pool>#   |
 * | ingest batch record (idempotency)        | table | pk = BATCH#<hostId>#<batchId>, sk = BATCH                       |
 * | API token by key id                      | table | pk = TOKEN#<keyId>, sk = TOKEN                                  |
 * | all API tokens                           | gsi1  | gsi1pk = TOKENS, gsi1sk = <createdAt>#<keyId>                   |
 *
 * Time inside keys is epoch milliseconds, zero-padded to 13 digits so that string order is time order.
 */
export const accessPatterns = [
  { name: 'hostMinutesByHost', index: 'table', pk: 'HOST#<hostId>', sk: 'MIN#<epochMs>' },
  { name: 'hostMinutesByDay', index: 'gsi1', pk: 'ROLLUP#<yyyy-mm-dd>', sk: 'POOL#<pool>#HOST#<hostId>#<epochMs>' },
  { name: 'ingestBatch', index: 'table', pk: 'BATCH#<hostId>#<batchId>', sk: 'BATCH' },
  { name: 'tokenByKeyId', index: 'table', pk: 'TOKEN#<keyId>', sk: 'TOKEN' },
  { name: 'allTokens', index: 'gsi1', pk: 'TOKENS', sk: '<createdAt>#<keyId>' },
] as const;

export function epochKey(ms: number): string {
  return String(Math.trunc(ms)).padStart(13, '0');
}
