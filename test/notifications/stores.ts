import { DynamoAlertStore } from '../../shared/adapters/dynamo/alert-store.js';
import { DynamoDigestStore } from '../../shared/adapters/dynamo/digest-store.js';
import { startTestTable } from '../support/ledger.js';

/** The alert claims and digests of a fresh table on the run's DynamoDB Local. */
export async function notificationStores(): Promise<{ alerts: DynamoAlertStore; digests: DynamoDigestStore; tableName: string }> {
  const { db, tableName } = await startTestTable({ prefix: 'notify' });
  return { alerts: new DynamoAlertStore(db, tableName), digests: new DynamoDigestStore(db, tableName), tableName };
}
