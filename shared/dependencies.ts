import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from './adapters/dynamo/client.js';
import { DynamoAlertStore } from './adapters/dynamo/alert-store.js';
import { DynamoBudgetStore } from './adapters/dynamo/budget-store.js';
import { DynamoAnomalyStore } from './adapters/dynamo/anomaly-store.js';
import { DynamoCapacityStore } from './adapters/dynamo/capacity-store.js';
import { DynamoCostStore } from './adapters/dynamo/cost-store.js';
import { DynamoDigestStore } from './adapters/dynamo/digest-store.js';
import { DynamoExecutionBudgetStore } from './adapters/dynamo/execution-budget-store.js';
import { DynamoEconomicsStore } from './adapters/dynamo/economics-store.js';
import { DynamoMeasurementStore } from './adapters/dynamo/measurement-store.js';
import { DynamoPriceStore } from './adapters/dynamo/price-store.js';
import { DynamoRunStore } from './adapters/dynamo/run-store.js';
import { DynamoSignalStore } from './adapters/dynamo/signal-store.js';
import { CachedTokenReader, DynamoTokenStore } from './adapters/dynamo/token-store.js';
import { DynamoUsageStore } from './adapters/dynamo/usage-store.js';
import { createEventPublisher, type EventPublisher } from './adapters/events.js';
import { config, type LedgerConfig } from './config.js';

/** The adapters a handler works with, built once per cold start from the validated configuration. */
export interface LedgerDependencies {
  config: LedgerConfig;
  db: DynamoDBDocumentClient;
  measurements: DynamoMeasurementStore;
  tokens: DynamoTokenStore;
  tokenReader: CachedTokenReader;
  costs: DynamoCostStore;
  prices: DynamoPriceStore;
  capacity: DynamoCapacityStore;
  runs: DynamoRunStore;
  events: EventPublisher;
  /** LLM usage: per-event idempotency records, minute rollups, model prices. */
  usage: DynamoUsageStore;
  /** Once-only claims of alerts (analysis) and their deliveries (notifier). */
  alerts: DynamoAlertStore;
  /** Daily digests by day (written by the digest step, read by the notifier). */
  digests: DynamoDigestStore;
  /** Budgets (spend per scope and period, with thresholds). */
  budgets: DynamoBudgetStore;
  /** Spend anomalies and usage drift, with the feedback given on them. */
  anomalies: DynamoAnomalyStore;
  /** Execution budgets: definitions, per-window counters, reservations (atomic reserve and settle). */
  executionBudgets: DynamoExecutionBudgetStore;
  /** Recontracting signals: open and resolved, by id and by impact. */
  signals: DynamoSignalStore;
  /** Analysis: host-hours, unit-economics rows, fleet observations, analysis runs. */
  economics: DynamoEconomicsStore;
}

let built: LedgerDependencies | undefined;

export function ledgerDependencies(): LedgerDependencies {
  if (built) return built;
  const settings = config();
  const db = createDocumentClient({ region: settings.AWS_REGION, endpoint: settings.LEDGER_DYNAMODB_ENDPOINT });
  const tokens = new DynamoTokenStore(db, settings.LEDGER_TABLE_NAME);
  built = {
    config: settings,
    db,
    measurements: new DynamoMeasurementStore(db, settings.LEDGER_TABLE_NAME, settings.LEDGER_ROLLUP_RETENTION_DAYS),
    tokens,
    tokenReader: new CachedTokenReader(tokens, settings.LEDGER_TOKEN_CACHE_SECONDS * 1000),
    costs: new DynamoCostStore(db, settings.LEDGER_TABLE_NAME),
    prices: new DynamoPriceStore(db, settings.LEDGER_TABLE_NAME),
    capacity: new DynamoCapacityStore(db, settings.LEDGER_TABLE_NAME),
    runs: new DynamoRunStore(db, settings.LEDGER_TABLE_NAME),
    events: createEventPublisher({ busName: settings.LEDGER_EVENT_BUS_NAME, region: settings.AWS_REGION }),
    usage: new DynamoUsageStore(db, settings.LEDGER_TABLE_NAME, settings.LEDGER_ROLLUP_RETENTION_DAYS),
    alerts: new DynamoAlertStore(db, settings.LEDGER_TABLE_NAME),
    digests: new DynamoDigestStore(db, settings.LEDGER_TABLE_NAME),
    budgets: new DynamoBudgetStore(db, settings.LEDGER_TABLE_NAME),
    anomalies: new DynamoAnomalyStore(db, settings.LEDGER_TABLE_NAME),
    executionBudgets: new DynamoExecutionBudgetStore(db, settings.LEDGER_TABLE_NAME),
    signals: new DynamoSignalStore(db, settings.LEDGER_TABLE_NAME),
    economics: new DynamoEconomicsStore(db, settings.LEDGER_TABLE_NAME, settings.LEDGER_ROLLUP_RETENTION_DAYS),
  };
  return built;
}

/** The local runtime starts several systems in one process (tests): each start rebuilds the adapters. */
export function resetLedgerDependencies(): void {
  built = undefined;
}
