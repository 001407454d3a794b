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
 * | FOCUS records of an account and day      | table | pk = COST#<provider>#<account>#<yyyy-mm-dd>, sk = <dimensionsHash> |
 * | FOCUS records of a day (all providers)   | gsi1  | gsi1pk = COSTDAY#<yyyy-mm-dd>, gsi1sk begins_with <provider>#   |
 * | latest GPU price of every offer          | table | pk = PRICELATEST, sk begins_with <gpuModel>#                    |
 * | GPU price history of a model and day     | table | pk = PRICE#<gpuModel>#<yyyy-mm-dd>, sk = <price point key>      |
 * | latest capacity observations             | table | pk = CAPACITY, sk = <observation key without time>              |
 * | capacity history of a day                | table | pk = CAPACITY#<yyyy-mm-dd>, sk = <observation key>              |
 * | runs of one collector, newest first      | table | pk = RUN#<collector>, sk = <startedAt>#<runId>                  |
 * | runs of all collectors, newest first     | gsi1  | gsi1pk = RUNS, gsi1sk = <startedAt>#<runId>                     |
 * | anomaly by id (with its feedback)        | table | pk = ANOMALY#<anomalyId>, sk = ANOMALY                          |
 * | anomalies of a day range                 | gsi1  | gsi1pk = ANOMALYMONTH#<yyyy-mm>, gsi1sk BETWEEN <from># AND <to>#~ |
 * | LLM usage minute rollups, one day, window| table | pk = USAGE#<yyyy-mm-dd>, sk BETWEEN MIN#<fromMs> AND MIN#<toMs>#~ |
 * | LLM usage event idempotency record       | table | pk = USAGEREQ#<ledger.request.id>, sk = REQ (claimed conditionally) |
 * | LLM usage batch outcome (replays)        | table | pk = USAGEBATCH#<owner digest>, sk = BATCH                      |
 * | execution budget definition             | table | pk = XBUDGET#<id>, sk = XBUDGET                                 |
 * | all execution budgets                    | gsi1  | gsi1pk = XBUDGETS, gsi1sk = <createdAt>#<id>                    |
 * | execution budget counter of a window     | table | pk = XBCOUNTER#<id>#<window>#<startMs|lifetime>#<ALL|C#<conversationId>>, sk = COUNTER |
 * | execution budget reservation             | table | pk = XBRESERVATION#<reservationId>, sk = RESERVATION            |
 * | open reservations of a counter by expiry | gsi1  | gsi1pk = XBOPEN#<counter pk>, gsi1sk < <nowMs + 1> (set only while open) |
 * | model prices (all)                       | table | pk = MODELPRICE, sk = <model>                                   |
 * | daily digest of a day                    | table | pk = DIGEST, sk = <yyyy-mm-dd>                                  |
 * | budget by id                             | table | pk = BUDGET, sk = <budgetId>                                    |
 * | budgets (all)                            | table | pk = BUDGET                                                     |
 * | recontracting signal by id               | table | pk = SIGNAL#<signalId>, sk = SIGNAL                             |
 * | signals by status, largest impact first  | gsi1  | gsi1pk = SIGNALS#<open|resolved>, gsi1sk = <impact cents, 16 digits>#<signalId> (descending) |
 * | analysis host-hours of a day             | table | pk = HOURS#<yyyy-mm-dd>, sk = <pool>#<hostId>#<hourMs>          |
 * | unit-economics rows of a period and day  | table | pk = ECON#<hour|day>#<yyyy-mm-dd>, sk begins_with <scopeKind>#  |
 * | one scope's unit-economics rows, by time | gsi1  | gsi1pk = ECON#<period>#<scopeKind>#<scope>, gsi1sk BETWEEN <fromMs> AND <toMs> |
 * | fleet observations of a daily run        | table | pk = OBS#<yyyy-mm-dd>, sk = POOL#<pool> / GPU#<uuid>            |
 * | analysis runs, newest first              | table | pk = ANALYSIS, sk = <startedAt>#<executionId>                   |
 * | alert raised once                        | table | pk = ALERT#<alertKey>, sk = ALERT (claimed conditionally)       |
 * | alert delivered once per channel         | table | pk = DELIVERY#<alertKey>, sk = <channel> (claimed conditionally) |
 *
 * Time inside keys is epoch milliseconds, zero-padded to 13 digits so that string order is time order.
 */
export const accessPatterns = [
  { name: 'hostMinutesByHost', index: 'table', pk: 'HOST#<hostId>', sk: 'MIN#<epochMs>' },
  { name: 'hostMinutesByDay', index: 'gsi1', pk: 'ROLLUP#<yyyy-mm-dd>', sk: 'POOL#<pool>#HOST#<hostId>#<epochMs>' },
  { name: 'ingestBatch', index: 'table', pk: 'BATCH#<hostId>#<batchId>', sk: 'BATCH' },
  { name: 'tokenByKeyId', index: 'table', pk: 'TOKEN#<keyId>', sk: 'TOKEN' },
  { name: 'allTokens', index: 'gsi1', pk: 'TOKENS', sk: '<createdAt>#<keyId>' },
  { name: 'costsByAccountDay', index: 'table', pk: 'COST#<provider>#<account>#<yyyy-mm-dd>', sk: '<dimensionsHash>' },
  { name: 'costsByDay', index: 'gsi1', pk: 'COSTDAY#<yyyy-mm-dd>', sk: '<provider>#<account>#<dimensionsHash>' },
  { name: 'latestPrices', index: 'table', pk: 'PRICELATEST', sk: '<gpuModel>#<offer>' },
  { name: 'priceHistory', index: 'table', pk: 'PRICE#<gpuModel>#<yyyy-mm-dd>', sk: '<pricePointKey>' },
  { name: 'latestCapacity', index: 'table', pk: 'CAPACITY', sk: '<subject>' },
  { name: 'capacityHistory', index: 'table', pk: 'CAPACITY#<yyyy-mm-dd>', sk: '<observationKey>' },
  { name: 'runsByCollector', index: 'table', pk: 'RUN#<collector>', sk: '<startedAt>#<runId>' },
  { name: 'allRuns', index: 'gsi1', pk: 'RUNS', sk: '<startedAt>#<runId>' },
  { name: 'anomalyById', index: 'table', pk: 'ANOMALY#<anomalyId>', sk: 'ANOMALY' },
  { name: 'anomaliesByDay', index: 'gsi1', pk: 'ANOMALYMONTH#<yyyy-mm>', sk: '<yyyy-mm-dd>#<anomalyId>' },
  { name: 'usageMinutesByDay', index: 'table', pk: 'USAGE#<yyyy-mm-dd>', sk: 'MIN#<epochMs>#<dimensionsKey>' },
  { name: 'usageEvent', index: 'table', pk: 'USAGEREQ#<requestId>', sk: 'REQ' },
  { name: 'usageBatch', index: 'table', pk: 'USAGEBATCH#<owner>', sk: 'BATCH' },
  { name: 'executionBudget', index: 'table', pk: 'XBUDGET#<id>', sk: 'XBUDGET' },
  { name: 'allExecutionBudgets', index: 'gsi1', pk: 'XBUDGETS', sk: '<createdAt>#<id>' },
  { name: 'executionBudgetCounter', index: 'table', pk: 'XBCOUNTER#<id>#<window>#<startMs>#<conversation>', sk: 'COUNTER' },
  { name: 'executionBudgetReservation', index: 'table', pk: 'XBRESERVATION#<reservationId>', sk: 'RESERVATION' },
  { name: 'openReservationsByExpiry', index: 'gsi1', pk: 'XBOPEN#<counterPk>', sk: '<releaseAtMs>#<reservationId>' },
  { name: 'modelPrices', index: 'table', pk: 'MODELPRICE', sk: '<model>' },
  { name: 'digestByDate', index: 'table', pk: 'DIGEST', sk: '<yyyy-mm-dd>' },
  { name: 'budgetById', index: 'table', pk: 'BUDGET', sk: '<budgetId>' },
  { name: 'allBudgets', index: 'table', pk: 'BUDGET', sk: '<budgetId>' },
  { name: 'signalById', index: 'table', pk: 'SIGNAL#<signalId>', sk: 'SIGNAL' },
  { name: 'signalsByStatus', index: 'gsi1', pk: 'SIGNALS#<status>', sk: '<impactCents>#<signalId>' },
  { name: 'hostHoursByDay', index: 'table', pk: 'HOURS#<yyyy-mm-dd>', sk: '<pool>#<hostId>#<hourMs>' },
  { name: 'economicsRowsByDay', index: 'table', pk: 'ECON#<period>#<yyyy-mm-dd>', sk: '<scopeKind>#<scope>#<startMs>' },
  { name: 'economicsRowsByScope', index: 'gsi1', pk: 'ECON#<period>#<scopeKind>#<scope>', sk: '<startMs>' },
  { name: 'fleetObservationsByDay', index: 'table', pk: 'OBS#<yyyy-mm-dd>', sk: 'POOL#<pool>|GPU#<uuid>' },
  { name: 'analysisRuns', index: 'table', pk: 'ANALYSIS', sk: '<startedAt>#<executionId>' },
  { name: 'alertClaim', index: 'table', pk: 'ALERT#<alertKey>', sk: 'ALERT' },
  { name: 'deliveryClaim', index: 'table', pk: 'DELIVERY#<alertKey>', sk: '<channel>' },
] as const;

export function epochKey(ms: number): string {
  return String(Math.trunc(ms)).padStart(13, '0');
}
