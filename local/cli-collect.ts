import { parseArgs } from 'node:util';
import { createDocumentClient } from '../shared/adapters/dynamo/client.js';
import { DynamoCapacityStore } from '../shared/adapters/dynamo/capacity-store.js';
import { DynamoCostStore } from '../shared/adapters/dynamo/cost-store.js';
import { DynamoPriceStore } from '../shared/adapters/dynamo/price-store.js';
import { DynamoRunStore } from '../shared/adapters/dynamo/run-store.js';
import { localBus } from '../shared/adapters/events.js';
import {
  type CollectorTarget,
  collectorContext,
  collectionPeriodSchema,
  collectorTargets,
  runCollectors,
  runSummary,
} from '../shared/services/collect/index.js';
import { readConfig } from '../shared/config.js';
import { UsageError } from './cli-tokens.js';
import { startLocalProvidersIfWanted } from './provider-environment.js';
import type { StoreConnection } from './store-connection.js';

export const collectUsage = `collect <${collectorTargets.join('|')}> [--from YYYY-MM-DD --to YYYY-MM-DD]`;

/**
 * `ledger collect <target>`: runs the target's collectors once against the configured providers (or, when
 * none is configured, a local provider server started for the command) and the store `npm start` uses, and
 * prints one line per collector run. `--to` is exclusive; without a period each cost collector takes its
 * trailing restatement window. Exits 1 when a run failed.
 */
export async function collectCommand(argv: string[], store: StoreConnection, out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' } },
  });
  const target = positionals[0] as CollectorTarget | undefined;
  if (!target || !collectorTargets.includes(target) || positionals.length > 1)
    throw new UsageError(`collect needs one of ${collectorTargets.join(', ')}`);
  const period = collectionPeriodSchema.safeParse({ from: values.from, to: values.to });
  if (!period.success) throw new UsageError(period.error.issues.map((i) => `--${String(i.path[0] ?? 'from')}: ${i.message}`).join('; '));

  const providers = await startLocalProvidersIfWanted(process.env);
  try {
    if (providers) {
      const { firstDay, today } = providers.organization;
      out(
        `No cloud credentials or endpoints are configured: started the local provider server (a simulated organization with costs from ${new Date(firstDay).toISOString().slice(0, 10)} to ${new Date(today).toISOString().slice(0, 10)}).`,
      );
    }
    const config = readConfig({ ...process.env, LEDGER_TABLE_NAME: store.tableName, LEDGER_DYNAMODB_ENDPOINT: store.endpoint });
    const db = createDocumentClient({ region: config.AWS_REGION, endpoint: store.endpoint });
    const context = collectorContext({
      config,
      costs: new DynamoCostStore(db, store.tableName),
      prices: new DynamoPriceStore(db, store.tableName),
      capacity: new DynamoCapacityStore(db, store.tableName),
      runs: new DynamoRunStore(db, store.tableName),
      events: localBus,
    });
    try {
      // Not-configured collectors say so in their line; no separate warning.
      const runs = await runCollectors(target, { ...context, warn: () => undefined }, period.data);
      for (const run of runs) out(runSummary(run));
      return runs.some((run) => run.status === 'failed') ? 1 : 0;
    } finally {
      await context.clients.close();
      db.destroy();
    }
  } finally {
    await providers?.stop();
  }
}
