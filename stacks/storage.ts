import { ledgerKeyAttributes, ledgerTable } from '../shared/adapters/dynamo/table.js';

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
  fields: Object.fromEntries(
    Object.entries(ledgerKeyAttributes).map(([attribute, type]) => [attribute, dynamoFieldType[type]]),
  ),
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
