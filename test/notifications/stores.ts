import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { DynamoAlertStore } from '../../shared/adapters/dynamo/alert-store.js';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { ensureLedgerTable } from '../../shared/adapters/dynamo/create-table.js';
import { DynamoDigestStore } from '../../shared/adapters/dynamo/digest-store.js';

/** The alert claims and digests of a fresh table on the run's DynamoDB Local. */
export async function notificationStores(): Promise<{ alerts: DynamoAlertStore; digests: DynamoDigestStore; tableName: string }> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `notify-${randomUUID().slice(0, 8)}`;
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureLedgerTable(raw, tableName);
  raw.destroy();
  const db = createDocumentClient({ region: 'us-east-1', endpoint });
  return { alerts: new DynamoAlertStore(db, tableName), digests: new DynamoDigestStore(db, tableName), tableName };
}
