import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Whether the ledger table answers DescribeTable: the health check's one call to DynamoDB. */
export function tableReachability(db: DynamoDBDocumentClient, tableName: string): Promise<'ok' | 'unreachable'> {
  return db
    .send(new DescribeTableCommand({ TableName: tableName }))
    .then(() => 'ok' as const)
    .catch(() => 'unreachable' as const);
}
