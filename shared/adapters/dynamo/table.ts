import { dayOf } from '../../domain/core/utc-time.js';

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

/** The key of an item of the table. */
export interface TableKey {
  pk: string;
  sk: string;
}

/** An item's key in gsi1 (set on the items of one table pattern, see `on`). */
export interface Gsi1Key {
  gsi1pk: string;
  gsi1sk: string;
}

/**
 * One row of the access patterns: the shape of a key (literal text and `<part>`s) and the reads it serves.
 * Every key the ledger writes has one of these shapes; `ledgerKeys` below builds each of them.
 */
export interface AccessPattern {
  index: 'table' | 'gsi1';
  pk: string;
  sk: string;
  /** For an index key: the table pattern whose items carry it. */
  on?: string;
  /** The reads it serves, with their key conditions. */
  reads: string;
  /** Formats of this pattern's own parts (regular-expression source), beside the shared `keyPartFormats`. */
  parts?: Record<string, string>;
}

const EPOCH_MS = '\\d{13}';
const ISO_TIME = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{3})?Z';

/** What a `<part>` of a key holds, by name, as regular-expression source; a part named nowhere is any non-empty text. */
export const keyPartFormats: Record<string, string> = {
  'yyyy-mm-dd': '\\d{4}-\\d{2}-\\d{2}',
  'yyyy-mm': '\\d{4}-\\d{2}',
  minuteMs: EPOCH_MS,
  hourMs: EPOCH_MS,
  startMs: EPOCH_MS,
  releaseAtMs: EPOCH_MS,
  createdAt: ISO_TIME,
  startedAt: ISO_TIME,
  period: 'hour|day',
};

/**
 * Access patterns, named: every key of the table is one of these rows, and every read the product makes is a get
 * or a query on one of them. Time inside keys is epoch milliseconds, zero-padded to 13 digits (`<…Ms>`), so that
 * string order is time order.
 */
export const accessPatterns = {
  hostMinute: {
    index: 'table',
    pk: 'HOST#<hostId>',
    sk: 'MIN#<minuteMs>',
    reads: 'host-minute rollups of one host in a time range: sk BETWEEN MIN#<fromMs> AND MIN#<toMs>',
  },
  hostMinuteByDay: {
    index: 'gsi1',
    on: 'hostMinute',
    pk: 'ROLLUP#<yyyy-mm-dd>',
    sk: 'POOL#<pool>#HOST#<hostId>#<minuteMs>',
    reads: 'host-minute rollups of a day, fleet or one pool: begins_with POOL#<pool>#; the pools and hosts of a day by loose index scan',
  },
  ingestBatch: { index: 'table', pk: 'BATCH#<hostId>#<batchId>', sk: 'BATCH', reads: 'ingest batch record (idempotency)' },
  token: { index: 'table', pk: 'TOKEN#<keyId>', sk: 'TOKEN', reads: 'API token by key id' },
  tokenByCreation: { index: 'gsi1', on: 'token', pk: 'TOKENS', sk: '<createdAt>#<keyId>', reads: 'all API tokens' },
  cost: {
    index: 'table',
    pk: 'COST#<provider>#<account>#<yyyy-mm-dd>',
    sk: '<dimensionsHash>',
    reads: 'FOCUS records of an account and day (stale records of a run)',
  },
  costByDay: {
    index: 'gsi1',
    on: 'cost',
    pk: 'COSTDAY#<yyyy-mm-dd>',
    sk: '<provider>#<account>#<dimensionsHash>',
    reads: 'FOCUS records of a day, all providers or one: begins_with <provider>#',
  },
  latestPrice: {
    index: 'table',
    pk: 'PRICELATEST',
    sk: '<gpuModel>#<offer>',
    reads: 'latest GPU price of every offer, all or one model: begins_with <gpuModel>#',
  },
  priceHistory: {
    index: 'table',
    pk: 'PRICE#<gpuModel>#<yyyy-mm-dd>',
    sk: '<pricePointKey>',
    reads: 'GPU price history of a model and day',
  },
  latestCapacity: { index: 'table', pk: 'CAPACITY', sk: '<subject>', reads: 'latest capacity observation of every subject' },
  capacityHistory: { index: 'table', pk: 'CAPACITY#<yyyy-mm-dd>', sk: '<observationKey>', reads: 'capacity history of a day' },
  collectorRun: { index: 'table', pk: 'RUN#<collector>', sk: '<startedAt>#<runId>', reads: 'runs of one collector, newest first' },
  collectorRunByTime: {
    index: 'gsi1',
    on: 'collectorRun',
    pk: 'RUNS',
    sk: '<startedAt>#<runId>',
    reads: 'runs of all collectors, newest first',
  },
  anomaly: { index: 'table', pk: 'ANOMALY#<anomalyId>', sk: 'ANOMALY', reads: 'anomaly by id, with its feedback' },
  anomalyByDay: {
    index: 'gsi1',
    on: 'anomaly',
    pk: 'ANOMALYMONTH#<yyyy-mm>',
    sk: '<yyyy-mm-dd>#<anomalyId>',
    reads: 'anomalies of a day range: gsi1sk BETWEEN <from># AND <to>#~, a month per partition',
  },
  usageMinute: {
    index: 'table',
    pk: 'USAGE#<yyyy-mm-dd>',
    sk: 'MIN#<minuteMs>#<dimensionsKey>',
    reads: 'LLM usage minute rollups of a day and window: sk BETWEEN MIN#<fromMs> AND MIN#<toMs>#~',
  },
  usageEvent: {
    index: 'table',
    pk: 'USAGEREQ#<requestId>',
    sk: 'REQ',
    reads: 'LLM usage event idempotency record (claimed conditionally)',
  },
  usageBatch: { index: 'table', pk: 'USAGEBATCH#<owner>', sk: 'BATCH', reads: 'LLM usage batch outcome (replays)' },
  modelPrice: { index: 'table', pk: 'MODELPRICE', sk: '<model>', reads: 'model prices, all' },
  executionBudget: { index: 'table', pk: 'XBUDGET#<budgetId>', sk: 'XBUDGET', reads: 'execution budget definition' },
  executionBudgetByCreation: {
    index: 'gsi1',
    on: 'executionBudget',
    pk: 'XBUDGETS',
    sk: '<createdAt>#<budgetId>',
    reads: 'all execution budgets',
  },
  executionBudgetCounter: {
    index: 'table',
    pk: 'XBCOUNTER#<budgetId>#<window>#<windowStart>#<conversation>',
    sk: 'COUNTER',
    reads: 'execution budget counter of a window (and conversation)',
    parts: { window: 'hour|day|week|month|lifetime', windowStart: `${EPOCH_MS}|lifetime`, conversation: 'ALL|C#.+' },
  },
  executionBudgetReservation: {
    index: 'table',
    pk: 'XBRESERVATION#<reservationId>',
    sk: 'RESERVATION',
    reads: 'execution budget reservation',
  },
  openReservationByExpiry: {
    index: 'gsi1',
    on: 'executionBudgetReservation',
    pk: 'XBOPEN#<counterPk>',
    sk: '<releaseAtMs>#<reservationId>',
    reads: 'open reservations of a counter by expiry: gsi1sk < <nowMs + 1> (set only while open)',
    parts: { counterPk: 'XBCOUNTER#.+' },
  },
  digest: { index: 'table', pk: 'DIGEST', sk: '<yyyy-mm-dd>', reads: 'daily digest of a day' },
  budget: { index: 'table', pk: 'BUDGET', sk: '<budgetId>', reads: 'budget by id; all budgets (pk = BUDGET)' },
  signal: { index: 'table', pk: 'SIGNAL#<signalId>', sk: 'SIGNAL', reads: 'recontracting signal by id' },
  signalByImpact: {
    index: 'gsi1',
    on: 'signal',
    pk: 'SIGNALS#<status>',
    sk: '<impactCents>#<signalId>',
    reads: 'signals by status, largest impact first (descending)',
    parts: { status: 'open|resolved', impactCents: '\\d{16}' },
  },
  hostHour: { index: 'table', pk: 'HOURS#<yyyy-mm-dd>', sk: '<pool>#<hostId>#<hourMs>', reads: 'analysis host-hours of a day' },
  economicsRow: {
    index: 'table',
    pk: 'ECON#<period>#<yyyy-mm-dd>',
    sk: '<scopeKind>#<scope>#<startMs>',
    reads: 'unit-economics rows of a period and day, all or one scope kind: begins_with <scopeKind>#',
  },
  economicsRowByScope: {
    index: 'gsi1',
    on: 'economicsRow',
    pk: 'ECON#<period>#<scopeKind>#<scope>',
    sk: '<startMs>',
    reads: "one scope's unit-economics rows by time: gsi1sk BETWEEN <fromMs> AND <toMs>",
  },
  poolObservation: {
    index: 'table',
    pk: 'OBS#<yyyy-mm-dd>',
    sk: 'POOL#<pool>',
    reads: 'fleet observations of a daily run (pk = OBS#<yyyy-mm-dd>)',
  },
  gpuObservation: {
    index: 'table',
    pk: 'OBS#<yyyy-mm-dd>',
    sk: 'GPU#<uuid>',
    reads: 'fleet observations of a daily run (pk = OBS#<yyyy-mm-dd>)',
  },
  workloadObservation: {
    index: 'table',
    pk: 'OBS#<yyyy-mm-dd>',
    sk: 'WORKLOAD#<kind>#<scope>',
    reads: 'fleet observations of a daily run (pk = OBS#<yyyy-mm-dd>)',
  },
  analysisRun: { index: 'table', pk: 'ANALYSIS', sk: '<startedAt>#<executionId>', reads: 'analysis runs, newest first' },
  alertClaim: { index: 'table', pk: 'ALERT#<alertKey>', sk: 'ALERT', reads: 'alert raised once (claimed conditionally)' },
  deliveryClaim: {
    index: 'table',
    pk: 'DELIVERY#<alertKey>',
    sk: '<channel>',
    reads: 'alert delivered once per channel (claimed conditionally)',
  },
} as const satisfies Record<string, AccessPattern>;

export type AccessPatternName = keyof typeof accessPatterns;

export function epochKey(ms: number): string {
  return String(Math.trunc(ms)).padStart(13, '0');
}

/** The pool part of hosts that report none. */
const NO_POOL = '_';
const poolPart = (pool: string | null | undefined) => pool ?? NO_POOL;

const hostPk = (hostId: string) => `HOST#${hostId}`;
const minuteSk = (minuteMs: number) => `MIN#${epochKey(minuteMs)}`;
const rollupDayPk = (day: string) => `ROLLUP#${day}`;
const poolPrefix = (pool: string) => `POOL#${pool}#`;
const hostsOfPoolPrefix = (pool: string) => `${poolPrefix(pool)}HOST#`;
const costPk = (parts: { provider: string; account: string; day: string }) => `COST#${parts.provider}#${parts.account}#${parts.day}`;
const usageDayPk = (day: string) => `USAGE#${day}`;
const anomalyMonthPk = (month: string) => `ANOMALYMONTH#${month}`;
const economicsDayPk = (period: string, day: string) => `ECON#${period}#${day}`;
const economicsScopePk = (parts: { period: string; scopeKind: string; scope: string }) =>
  `ECON#${parts.period}#${parts.scopeKind}#${parts.scope}`;
const observationsPk = (date: string) => `OBS#${date}`;
const reservationPkPrefix = 'XBRESERVATION#';

/** What names an execution budget counter: the budget, its window, and the conversation when it counts per conversation. */
export interface CounterKeyParts {
  budgetId: string;
  window: { kind: string; start: number };
  conversationId: string | null;
}

function counterPk(scope: CounterKeyParts): string {
  const { kind, start } = scope.window;
  const windowPart = kind === 'lifetime' ? 'lifetime' : epochKey(start);
  const conversationPart = scope.conversationId === null ? 'ALL' : `C#${scope.conversationId}`;
  return `XBCOUNTER#${scope.budgetId}#${kind}#${windowPart}#${conversationPart}`;
}

/** Bounds of a loose index scan: the first and last key, the value a found key names, and the first key after that value. */
export interface LooseScan {
  from: string;
  to: string;
  read(sk: string): string;
  after(value: string): string;
}

/** One group of builders per access pattern, no more and no fewer; `key` answers a table key or a gsi1 key as its index says. */
type KeyBuilders = {
  [N in AccessPatternName]: {
    key: (...parts: any[]) => (typeof accessPatterns)[N]['index'] extends 'table' ? TableKey : Gsi1Key;
    [reads: string]: unknown;
  };
};

/**
 * The key builders, one group per access pattern: `key(...)` builds the key of an item (table) or its gsi1 key,
 * the others the partition keys and bounds its reads use. Parts are given in the order of the shape (an object of
 * named parts where three or more could be confused); times as epoch milliseconds, days as `yyyy-mm-dd`.
 */
export const ledgerKeys = {
  hostMinute: {
    key: (hostId: string, minuteMs: number): TableKey => ({ pk: hostPk(hostId), sk: minuteSk(minuteMs) }),
    /** The minutes [fromMs, lastMs] of one host. */
    range: (hostId: string, fromMs: number, lastMs: number) => ({ pk: hostPk(hostId), from: minuteSk(fromMs), to: minuteSk(lastMs) }),
  },
  hostMinuteByDay: {
    key: (parts: { pool: string | null | undefined; hostId: string; minuteMs: number }): Gsi1Key => ({
      gsi1pk: rollupDayPk(dayOf(parts.minuteMs)),
      gsi1sk: `${hostsOfPoolPrefix(poolPart(parts.pool))}${parts.hostId}#${epochKey(parts.minuteMs)}`,
    }),
    pk: rollupDayPk,
    /** The minutes of one pool: begins_with. */
    poolPrefix,
    /** The pools of a day. */
    pools: {
      from: 'POOL#',
      to: 'POOL#\uffff',
      read: (sk: string) => sk.slice('POOL#'.length, sk.indexOf('#HOST#')),
      after: (pool: string) => `${poolPrefix(pool)}\uffff`,
    } satisfies LooseScan,
    /** The hosts of one pool of a day. */
    hosts(pool: string): LooseScan {
      const prefix = hostsOfPoolPrefix(pool);
      return {
        from: prefix,
        to: `${prefix}\uffff`,
        read: (sk) => sk.slice(prefix.length, sk.lastIndexOf('#')),
        after: (host) => `${prefix}${host}#\uffff`,
      };
    },
  },
  ingestBatch: {
    key: (hostId: string, batchId: string): TableKey => ({ pk: `BATCH#${hostId}#${batchId}`, sk: 'BATCH' }),
  },
  token: {
    key: (keyId: string): TableKey => ({ pk: `TOKEN#${keyId}`, sk: 'TOKEN' }),
  },
  tokenByCreation: {
    key: (createdAt: string, keyId: string): Gsi1Key => ({ gsi1pk: 'TOKENS', gsi1sk: `${createdAt}#${keyId}` }),
    pk: 'TOKENS',
  },
  cost: {
    key: (parts: { provider: string; account: string; day: string; dimensionsHash: string }): TableKey => ({
      pk: costPk(parts),
      sk: parts.dimensionsHash,
    }),
    pk: costPk,
  },
  costByDay: {
    key: (parts: { day: string; provider: string; account: string; dimensionsHash: string }): Gsi1Key => ({
      gsi1pk: `COSTDAY#${parts.day}`,
      gsi1sk: `${parts.provider}#${parts.account}#${parts.dimensionsHash}`,
    }),
    pk: (day: string) => `COSTDAY#${day}`,
    providerPrefix: (provider: string) => `${provider}#`,
  },
  latestPrice: {
    key: (gpuModel: string, offer: string): TableKey => ({ pk: 'PRICELATEST', sk: `${gpuModel}#${offer}` }),
    pk: 'PRICELATEST',
    modelPrefix: (gpuModel: string) => `${gpuModel}#`,
  },
  priceHistory: {
    key: (parts: { gpuModel: string; day: string; pricePointKey: string }): TableKey => ({
      pk: `PRICE#${parts.gpuModel}#${parts.day}`,
      sk: parts.pricePointKey,
    }),
    pk: (gpuModel: string, day: string) => `PRICE#${gpuModel}#${day}`,
  },
  latestCapacity: {
    key: (subject: string): TableKey => ({ pk: 'CAPACITY', sk: subject }),
    pk: 'CAPACITY',
  },
  capacityHistory: {
    key: (day: string, observationKey: string): TableKey => ({ pk: `CAPACITY#${day}`, sk: observationKey }),
  },
  collectorRun: {
    key: (parts: { collector: string; startedAt: string; runId: string }): TableKey => ({
      pk: `RUN#${parts.collector}`,
      sk: `${parts.startedAt}#${parts.runId}`,
    }),
    pk: (collector: string) => `RUN#${collector}`,
  },
  collectorRunByTime: {
    key: (startedAt: string, runId: string): Gsi1Key => ({ gsi1pk: 'RUNS', gsi1sk: `${startedAt}#${runId}` }),
    pk: 'RUNS',
  },
  anomaly: {
    key: (anomalyId: string): TableKey => ({ pk: `ANOMALY#${anomalyId}`, sk: 'ANOMALY' }),
  },
  anomalyByDay: {
    key: (date: string, anomalyId: string): Gsi1Key => ({ gsi1pk: anomalyMonthPk(date.slice(0, 7)), gsi1sk: `${date}#${anomalyId}` }),
    /** The anomalies of the days [from, to] within one month (`yyyy-mm`). */
    range: (month: string, from: string, to: string) => ({ pk: anomalyMonthPk(month), from: `${from}#`, to: `${to}#~` }),
  },
  usageMinute: {
    key: (minuteMs: number, dimensionsKey: string): TableKey => ({
      pk: usageDayPk(dayOf(minuteMs)),
      sk: `${minuteSk(minuteMs)}#${dimensionsKey}`,
    }),
    /** The rollups of the minutes [fromMs, lastMs] of the day that `dayMs` falls in. */
    range: (dayMs: number, fromMs: number, lastMs: number) => ({
      pk: usageDayPk(dayOf(dayMs)),
      from: minuteSk(fromMs),
      to: `${minuteSk(lastMs)}#~`,
    }),
  },
  usageEvent: {
    key: (requestId: string): TableKey => ({ pk: `USAGEREQ#${requestId}`, sk: 'REQ' }),
  },
  usageBatch: {
    key: (owner: string): TableKey => ({ pk: `USAGEBATCH#${owner}`, sk: 'BATCH' }),
  },
  modelPrice: {
    key: (model: string): TableKey => ({ pk: 'MODELPRICE', sk: model }),
    pk: 'MODELPRICE',
  },
  executionBudget: {
    key: (budgetId: string): TableKey => ({ pk: `XBUDGET#${budgetId}`, sk: 'XBUDGET' }),
  },
  executionBudgetByCreation: {
    key: (createdAt: string, budgetId: string): Gsi1Key => ({ gsi1pk: 'XBUDGETS', gsi1sk: `${createdAt}#${budgetId}` }),
    pk: 'XBUDGETS',
  },
  executionBudgetCounter: {
    key: (scope: CounterKeyParts): TableKey => ({ pk: counterPk(scope), sk: 'COUNTER' }),
  },
  executionBudgetReservation: {
    key: (reservationId: string): TableKey => ({ pk: `${reservationPkPrefix}${reservationId}`, sk: 'RESERVATION' }),
    /** The reservation id a reservation's pk names. */
    idOf: (pk: string) => pk.slice(reservationPkPrefix.length),
  },
  openReservationByExpiry: {
    key: (scope: CounterKeyParts, releaseAtMs: number, reservationId: string): Gsi1Key => ({
      gsi1pk: `XBOPEN#${counterPk(scope)}`,
      gsi1sk: `${epochKey(releaseAtMs)}#${reservationId}`,
    }),
    pk: (scope: CounterKeyParts) => `XBOPEN#${counterPk(scope)}`,
    /** gsi1sk below this: the reservations that expired at or before `nowMs`. */
    expiredBy: (nowMs: number) => epochKey(nowMs + 1),
  },
  digest: {
    key: (date: string): TableKey => ({ pk: 'DIGEST', sk: date }),
  },
  budget: {
    key: (budgetId: string): TableKey => ({ pk: 'BUDGET', sk: budgetId }),
    pk: 'BUDGET',
  },
  signal: {
    key: (signalId: string): TableKey => ({ pk: `SIGNAL#${signalId}`, sk: 'SIGNAL' }),
  },
  signalByImpact: {
    /** Monthly impact in whole cents (below zero counts as zero), zero-padded, so string order is impact order. */
    key: (parts: { status: 'open' | 'resolved'; impactCents: bigint; signalId: string }): Gsi1Key => ({
      gsi1pk: `SIGNALS#${parts.status}`,
      gsi1sk: `${(parts.impactCents < 0n ? 0n : parts.impactCents).toString().padStart(16, '0')}#${parts.signalId}`,
    }),
    pk: (status: string) => `SIGNALS#${status}`,
  },
  hostHour: {
    key: (parts: { pool: string | null | undefined; hostId: string; hourMs: number }): TableKey => ({
      pk: `HOURS#${dayOf(parts.hourMs)}`,
      sk: `${poolPart(parts.pool)}#${parts.hostId}#${epochKey(parts.hourMs)}`,
    }),
    pk: (dayMs: number) => `HOURS#${dayOf(dayMs)}`,
  },
  economicsRow: {
    key: (parts: { period: string; day: string; scopeKind: string; scope: string; startMs: number }): TableKey => ({
      pk: economicsDayPk(parts.period, parts.day),
      sk: `${parts.scopeKind}#${parts.scope}#${epochKey(parts.startMs)}`,
    }),
    pk: economicsDayPk,
    scopeKindPrefix: (scopeKind: string) => `${scopeKind}#`,
  },
  economicsRowByScope: {
    key: (parts: { period: string; scopeKind: string; scope: string; startMs: number }): Gsi1Key => ({
      gsi1pk: economicsScopePk(parts),
      gsi1sk: epochKey(parts.startMs),
    }),
    /** One scope's rows that start in [fromMs, lastMs]. */
    range: (parts: { period: string; scopeKind: string; scope: string }, fromMs: number, lastMs: number) => ({
      pk: economicsScopePk(parts),
      from: epochKey(fromMs),
      to: epochKey(lastMs),
    }),
  },
  poolObservation: {
    key: (date: string, pool: string): TableKey => ({ pk: observationsPk(date), sk: `POOL#${pool}` }),
    /** All the observations of a run date (pools, GPUs, workloads). */
    pk: observationsPk,
    skPrefix: 'POOL#',
  },
  gpuObservation: {
    key: (date: string, uuid: string): TableKey => ({ pk: observationsPk(date), sk: `GPU#${uuid}` }),
    skPrefix: 'GPU#',
  },
  workloadObservation: {
    key: (date: string, workload: { kind: string; scope: string }): TableKey => ({
      pk: observationsPk(date),
      sk: `WORKLOAD#${workload.kind}#${workload.scope}`,
    }),
    skPrefix: 'WORKLOAD#',
  },
  analysisRun: {
    key: (startedAt: string, executionId: string): TableKey => ({ pk: 'ANALYSIS', sk: `${startedAt}#${executionId}` }),
    pk: 'ANALYSIS',
  },
  alertClaim: {
    key: (alertKey: string): TableKey => ({ pk: `ALERT#${alertKey}`, sk: 'ALERT' }),
  },
  deliveryClaim: {
    key: (alertKey: string, channel: string): TableKey => ({ pk: `DELIVERY#${alertKey}`, sk: channel }),
  },
} as const satisfies KeyBuilders;
