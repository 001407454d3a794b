import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureLedgerTable } from '../shared/adapters/dynamo/create-table.js';
import { startEmbeddedDynamo } from './dynamodb.js';

/**
 * The store `npm start` uses, for the CLI: the running local system's DynamoDB when there is one, else
 * LEDGER_DYNAMODB_ENDPOINT, else the embedded DynamoDB started on the same data folder for the command.
 */
export interface StoreConnection {
  endpoint: string;
  tableName: string;
  close(): Promise<void>;
}

export const stateDir = resolve(import.meta.dirname, '..', process.env.LEDGER_STATE_DIR ?? '.ledger');

function runningLocalSystem(): { dynamoEndpoint: string; tableName: string } | null {
  const file = resolve(stateDir, 'runtime.json');
  if (!existsSync(file)) return null;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as { dynamoEndpoint: string; tableName: string; pid: number };
    process.kill(state.pid, 0); // throws when that process is gone
    return state;
  } catch {
    return null;
  }
}

export async function connectStore(env: Record<string, string | undefined> = process.env): Promise<StoreConnection> {
  const tableName = env.LEDGER_TABLE_NAME ?? 'ledger-local';
  const running = runningLocalSystem();
  const given = env.LEDGER_DYNAMODB_ENDPOINT || running?.dynamoEndpoint;
  const embedded = given ? undefined : await startEmbeddedDynamo({ dataDir: resolve(stateDir, 'dynamodb') });
  const endpoint = given ?? embedded!.endpoint;
  const client = new DynamoDBClient({
    endpoint,
    region: env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureLedgerTable(client, running && !env.LEDGER_TABLE_NAME ? running.tableName : tableName);
  client.destroy();
  return {
    endpoint,
    tableName: running && !env.LEDGER_TABLE_NAME ? running.tableName : tableName,
    close: async () => embedded?.stop(),
  };
}
