/**
 * Least-privilege IAM for every Lambda entry point, as plain data: `stacks/api.ts` turns it into the
 * functions' policies and the infrastructure tests read the very same lists. No SST or AWS SDK here.
 *
 * A grant names DynamoDB actions one by one (never `dynamodb:*`) and symbolic resources that the stack
 * resolves against the deployed table: `table` is the table's ARN, `tableIndexes` is `<table ARN>/index/*`
 * (every index of that one table; needed for Query on gsi1). Nothing is granted on `*`.
 */

/** The DynamoDB actions the product uses. A typo here is a type error, not a silent deny in production. */
export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:DescribeTable';

/** Resources a grant may name; resolved to ARNs by the stack that owns the table. */
export type TableResource = 'table' | 'tableIndexes';

export interface TableGrant {
  readonly actions: readonly DynamoAction[];
  readonly resources: readonly TableResource[];
}

/** Named permission profiles: what one kind of function may do with the ledger table. */
export const permissionProfiles = {
  /** Serves a document built from code; touches no AWS resource. */
  static: [],
  /** Liveness plus store reachability (DescribeTable on the ledger table). */
  health: [{ actions: ['dynamodb:DescribeTable'], resources: ['table'] }],
  /**
   * Measurement ingest: token lookup (GetItem), idempotency record (GetItem, PutItem), host-minute rollups
   * read before merge (GetItem, BatchGetItem) and written back (PutItem, UpdateItem).
   */
  ingest: [
    {
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: ['table'],
    },
  ],
  /**
   * Collectors: cost records, price points, capacity observations and run records written in batches or one
   * by one (BatchWriteItem, PutItem), stale cost records found (Query) and deleted in batches.
   */
  collector: [
    { actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:Query'], resources: ['table'] },
    { actions: ['dynamodb:Query'], resources: ['tableIndexes'] },
  ],
  /** Readers: token lookup (GetItem) and the access patterns on the table and on gsi1 (Query). */
  read: [{ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: ['table', 'tableIndexes'] }],
  /** Anomaly feedback: token lookup (GetItem) and the feedback set on the anomaly item (UpdateItem, conditional). */
  anomalyFeedback: [{ actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: ['table'] }],
  /**
   * LLM usage ingest: token lookup and batch record (GetItem, PutItem), per-event idempotency records claimed
   * with conditional puts (PutItem), minute rollups read before merge (BatchGetItem, GetItem) and written
   * back (PutItem), model prices read (Query on the table only).
   */
  usageIngest: [{ actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Query'], resources: ['table'] }],
  /** Model price administration: token lookup (GetItem) and one price item written (PutItem). */
  priceAdmin: [{ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: ['table'] }],
  /** Budget administration: token and current budget lookup (GetItem), a budget created or replaced (PutItem, conditional) or deleted (DeleteItem, conditional). */
  budgetAdmin: [{ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: ['table'] }],
  /**
   * Execution budget administration: token lookup (GetItem), a definition created (PutItem, conditional),
   * replaced (UpdateItem, conditional) or deleted (DeleteItem, conditional).
   */
  executionBudgetAdmin: [
    { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], resources: ['table'] },
  ],
  /**
   * Execution budget status: token, definition, counter and reservations read (GetItem); the counter's expired
   * reservations found on gsi1 (Query) and released, each in a TransactWriteItems of two Updates (UpdateItem:
   * IAM checks a transaction per item action, there is no TransactWriteItems action).
   */
  executionBudgetStatus: [
    { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: ['table'] },
    { actions: ['dynamodb:Query'], resources: ['tableIndexes'] },
  ],
  /**
   * Execution budget reserve and settle: token, definition, counter and reservation read (GetItem); expired
   * reservations found on gsi1 (Query) and released; reserve is a TransactWriteItems of a counter Update and a
   * reservation Put, settle and release of two Updates (PutItem, UpdateItem: checked per item action).
   */
  executionBudgetSpend: [
    { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: ['table'] },
    { actions: ['dynamodb:Query'], resources: ['tableIndexes'] },
  ],
  /** Analysis plan: the pools that reported, found by a loose index scan of gsi1 (Query on the index only). */
  analysisPlan: [{ actions: ['dynamodb:Query'], resources: ['tableIndexes'] }],
  /** Analysis folds: minutes, host-hours, costs and usage read (Query); host-hours, rows and observations written in batches. */
  analysisFold: [
    { actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'], resources: ['table'] },
    { actions: ['dynamodb:Query'], resources: ['tableIndexes'] },
  ],
  /** Analysis run record: one item written. */
  analysisRecord: [{ actions: ['dynamodb:PutItem'], resources: ['table'] }],
  /**
   * Analysis budgets and digest: budgets, costs, usage, unit-economics rows, signals and anomalies read (Query on
   * the table and gsi1); the digest written (PutItem); alert claims made with conditional puts and released when
   * the publish fails (PutItem, DeleteItem).
   */
  analysisAlerts: [
    { actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: ['table'] },
    { actions: ['dynamodb:Query'], resources: ['tableIndexes'] },
  ],
  /**
   * Analysis anomalies: costs, usage and stored anomalies read (Query on the table and gsi1); anomalies stored
   * (UpdateItem); alert claims made and released (PutItem, DeleteItem).
   */
  analysisAnomalies: [
    { actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], resources: ['table'] },
    { actions: ['dynamodb:Query'], resources: ['tableIndexes'] },
  ],
  /**
   * Analysis signals: observations, prices, capacity and open signals read (Query on the table and gsi1); signals
   * upserted and resolved (UpdateItem, conditional), one read back when a newer run updated it first (GetItem);
   * alert claims made and released (PutItem, DeleteItem).
   */
  analysisSignals: [
    {
      actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: ['table'],
    },
    { actions: ['dynamodb:Query'], resources: ['tableIndexes'] },
  ],
  /**
   * Notifier (bus subscriber): the day's digest read (GetItem); each delivery claimed once with a conditional
   * put (PutItem) and released when its send fails (DeleteItem).
   */
  notifier: [{ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: ['table'] }],
} as const satisfies Record<string, readonly TableGrant[]>;

export type PermissionProfile = keyof typeof permissionProfiles;

/**
 * Which profile each Lambda handler runs with, keyed by the handler string used in `shared/routes.ts`
 * (`<file without extension>.<export>`). A handler missing here cannot be deployed.
 */
export const handlerPermissions: Readonly<Record<string, PermissionProfile>> = {
  'functions/http/health.handler': 'health',
  'functions/http/openapi.handler': 'static',
  'functions/http/ingest-measurements.handler': 'ingest',
  'functions/http/fleet-utilization.handler': 'read',
  'functions/http/costs.handler': 'read',
  'functions/http/costs-export.handler': 'read',
  'functions/http/prices.handler': 'read',
  'functions/http/capacity.handler': 'read',
  'functions/http/collector-runs.handler': 'read',
  'functions/http/anomalies.handler': 'read',
  'functions/http/anomaly-feedback.handler': 'anomalyFeedback',
  'functions/http/ingest-usage.handler': 'usageIngest',
  'functions/http/ingest-otlp-traces.handler': 'usageIngest',
  'functions/http/usage.handler': 'read',
  'functions/http/model-prices.handler': 'read',
  'functions/http/put-model-price.handler': 'priceAdmin',
  'functions/http/create-budget.handler': 'budgetAdmin',
  'functions/http/budgets.handler': 'read',
  'functions/http/budget.handler': 'read',
  'functions/http/put-budget.handler': 'budgetAdmin',
  'functions/http/delete-budget.handler': 'budgetAdmin',
  'functions/http/budget-status.handler': 'read',
  'functions/http/signals.handler': 'read',
  'functions/http/create-execution-budget.handler': 'executionBudgetAdmin',
  'functions/http/execution-budgets.handler': 'read',
  'functions/http/execution-budget.handler': 'executionBudgetStatus',
  'functions/http/put-execution-budget.handler': 'executionBudgetAdmin',
  'functions/http/delete-execution-budget.handler': 'executionBudgetAdmin',
  'functions/http/reserve-execution-budget.handler': 'executionBudgetSpend',
  'functions/http/settle-execution-budget.handler': 'executionBudgetSpend',
  'functions/cron/collect-aws-costs.handler': 'collector',
  'functions/cron/collect-azure-costs.handler': 'collector',
  'functions/cron/collect-gcp-costs.handler': 'collector',
  'functions/cron/collect-prices.handler': 'collector',
  'functions/cron/collect-capacity.handler': 'collector',
  'functions/cron/start-analysis.handler': 'static',
  'functions/http/unit-economics.handler': 'read',
  'functions/http/unit-economics-export.handler': 'read',
  'functions/http/unit-economics-variance.handler': 'read',
  'functions/http/analysis-runs.handler': 'read',
  'functions/workflow/plan-analysis.handler': 'analysisPlan',
  'functions/workflow/rollup-pool.handler': 'analysisFold',
  'functions/workflow/summarize-economics.handler': 'analysisFold',
  'functions/workflow/raise-signals.handler': 'analysisSignals',
  'functions/workflow/evaluate-budgets.handler': 'analysisAlerts',
  'functions/workflow/detect-anomalies.handler': 'analysisAnomalies',
  'functions/workflow/build-digest.handler': 'analysisAlerts',
  'functions/workflow/record-analysis.handler': 'analysisRecord',
  'functions/subscribers/notify.handler': 'notifier',
};

export class MissingPermissionsError extends Error {
  override name = 'MissingPermissionsError';
}

/** The grants for one handler; throws when the handler has no entry, so a new route fails at deploy, not at run. */
export function permissionsFor(handler: string): readonly TableGrant[] {
  const profile = handlerPermissions[handler];
  if (!profile) {
    throw new MissingPermissionsError(`shared/permissions.ts: no permission profile for handler '${handler}'`);
  }
  return permissionProfiles[profile];
}
