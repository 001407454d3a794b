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
  /**
   * LLM usage ingest: token lookup and batch record (GetItem, PutItem), per-event idempotency records claimed
   * with conditional puts (PutItem), minute rollups read before merge (BatchGetItem, GetItem) and written
   * back (PutItem), model prices read (Query on the table only).
   */
  usageIngest: [{ actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Query'], resources: ['table'] }],
  /** Model price administration: token lookup (GetItem) and one price item written (PutItem). */
  priceAdmin: [{ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: ['table'] }],
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
  'functions/http/ingest-usage.handler': 'usageIngest',
  'functions/http/ingest-otlp-traces.handler': 'usageIngest',
  'functions/http/usage.handler': 'read',
  'functions/http/model-prices.handler': 'read',
  'functions/http/put-model-price.handler': 'priceAdmin',
  'functions/cron/collect-aws-costs.handler': 'collector',
  'functions/cron/collect-azure-costs.handler': 'collector',
  'functions/cron/collect-gcp-costs.handler': 'collector',
  'functions/cron/collect-prices.handler': 'collector',
  'functions/cron/collect-capacity.handler': 'collector',
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
