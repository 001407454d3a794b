import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoCapacityStore } from '../../shared/adapters/dynamo/capacity-store.js';
import { DynamoCostStore } from '../../shared/adapters/dynamo/cost-store.js';
import { DynamoPriceStore } from '../../shared/adapters/dynamo/price-store.js';
import { DynamoRunStore } from '../../shared/adapters/dynamo/run-store.js';
import { localBus } from '../../shared/adapters/events.js';
import { type CollectorContext, collectorSettings } from '../../shared/services/collect/index.js';
import { providerClients } from '../../shared/services/collect/clients.js';
import { readConfig } from '../../shared/config.js';
import type { LedgerRuntime } from '../../local/runtime.js';
import { localProviderEnvironment } from '../../local/provider-environment.js';
import type { LocalProviders } from '../../local/providers/index.js';

/** Retries that take milliseconds. */
export const fastCollectorRetry = { retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxTotalMs: 10_000 } };

/**
 * A collector context over a test ledger's table and a local provider server, configured the way the
 * deployed system is: from environment-shaped settings through readConfig and collectorSettings.
 */
export function localCollectorContext(
  ledger: Pick<LedgerRuntime, 'dynamoEndpoint' | 'tableName'>,
  providers: LocalProviders,
  options: { env?: Record<string, string | undefined>; asOf: string },
): CollectorContext {
  const config = readConfig({
    LEDGER_TABLE_NAME: ledger.tableName,
    LEDGER_DYNAMODB_ENDPOINT: ledger.dynamoEndpoint,
    ...localProviderEnvironment(providers),
    ...options.env,
  });
  const settings = collectorSettings(config);
  const db = createDocumentClient({ region: 'us-east-1', endpoint: ledger.dynamoEndpoint });
  return {
    settings,
    clients: providerClients(settings),
    stores: {
      costs: new DynamoCostStore(db, ledger.tableName),
      prices: new DynamoPriceStore(db, ledger.tableName),
      capacity: new DynamoCapacityStore(db, ledger.tableName),
      runs: new DynamoRunStore(db, ledger.tableName),
    },
    events: localBus,
    asOf: () => new Date(options.asOf),
    warn: () => undefined,
    retry: fastCollectorRetry,
  };
}
