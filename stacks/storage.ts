import { ledgerKeyAttributes, ledgerTable } from '../shared/adapters/dynamo/table.js';
import type { TableGrant, TableResource } from '../shared/permissions.js';

/**
 * The single DynamoDB table, built from its one definition in `shared/adapters/dynamo/table.ts` (the same
 * definition the local runtime creates in DynamoDB Local). No key name or setting is repeated here.
 *
 * Stages whose resources are retained on removal (production, see `sst.config.ts`) also get deletion
 * protection and point-in-time recovery.
 */
const dynamoFieldType = { S: 'string', N: 'number', B: 'binary' } as const;

const retained = $app.removal !== 'remove';

export const table = new sst.aws.Dynamo(ledgerTable.name, {
  fields: Object.fromEntries(Object.entries(ledgerKeyAttributes).map(([attribute, type]) => [attribute, dynamoFieldType[type]])),
  primaryIndex: { hashKey: ledgerTable.partitionKey, rangeKey: ledgerTable.sortKey },
  globalIndexes: Object.fromEntries(
    Object.entries(ledgerTable.globalIndexes).map(([indexName, index]) => [
      indexName,
      { hashKey: index.partitionKey, rangeKey: index.sortKey, projection: 'all' as const },
    ]),
  ),
  ttl: ledgerTable.ttlAttribute,
  stream: ledgerTable.stream,
  deletionProtection: retained,
  transform: {
    table: (args) => {
      if (retained) args.pointInTimeRecovery = { enabled: true };
    },
  },
});

const tableResources: Record<TableResource, $util.Input<string>> = {
  table: table.arn,
  tableIndexes: $interpolate`${table.arn}/index/*`,
};

/** A handler's grants of `shared/permissions.ts` as IAM statements on this table's ARN and on its indexes. */
export function tableGrants(grants: readonly TableGrant[]): { actions: string[]; resources: $util.Input<string>[] }[] {
  return grants.map((grant) => ({ actions: [...grant.actions], resources: grant.resources.map((resource) => tableResources[resource]) }));
}
