import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { httpHandler } from '../../shared/middleware/http.js';

export const handler = httpHandler({ scope: null }, async () => {
  const { db, config } = ledgerDependencies();
  const store = await db
    .send(new DescribeTableCommand({ TableName: config.LEDGER_TABLE_NAME }))
    .then(() => 'ok' as const)
    .catch(() => 'unreachable' as const);
  return { status: store === 'ok' ? 200 : 503, body: { status: store === 'ok' ? 'ok' : 'degraded', store, time: new Date().toISOString() } };
});
