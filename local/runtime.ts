import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../shared/adapters/dynamo/client.js';
import { ensureLedgerTable } from '../shared/adapters/dynamo/create-table.js';
import { DynamoTokenStore } from '../shared/adapters/dynamo/token-store.js';
import { resetConfig } from '../shared/config.js';
import { resetLedgerDependencies } from '../shared/dependencies.js';
import { createToken, keyIdOf, scopes, tokenMatches } from '../shared/domain/access/tokens.js';
import { registerLocalAnalysisStarter } from '../shared/adapters/analysis-starter.js';
import { LocalAnalysisStarter, type LocalRunOptions } from './analysis-runner.js';
import { createApiServer } from './api-server.js';
import { localBus } from '../shared/adapters/events.js';
import { bindLocalNotifier } from './local-notifier.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './dynamodb.js';

/** The whole system on one machine: DynamoDB (embedded or given), the table, a token, and the HTTP API. */
export interface LedgerRuntimeOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** An existing DynamoDB endpoint; otherwise DynamoDB Local is started. */
  dynamoEndpoint?: string;
  /** Where embedded DynamoDB keeps its data; omitted means in memory. */
  dataDir?: string;
  tableName?: string;
  /** Registered with every scope. */
  devToken?: string;
  /** How the local state machine runs its tasks (retry intervals, injected Lambda faults in tests). */
  analysis?: LocalRunOptions;
}

export interface LedgerRuntime {
  url: string;
  token: string;
  dynamoEndpoint: string;
  tableName: string;
  /** Starts the analysis state machine in this process, as the scheduled starter does (and records its executions). */
  analysis: LocalAnalysisStarter;
  stop(): Promise<void>;
}

export async function startLedger(options: LedgerRuntimeOptions = {}): Promise<LedgerRuntime> {
  const tableName = options.tableName ?? process.env.LEDGER_TABLE_NAME ?? 'ledger-local';
  const given = options.dynamoEndpoint || process.env.LEDGER_DYNAMODB_ENDPOINT || undefined;
  let embedded: EmbeddedDynamo | undefined;
  const dynamoEndpoint = given ?? (embedded = await startEmbeddedDynamo(options.dataDir ? { dataDir: options.dataDir } : {})).endpoint;

  process.env.LEDGER_TABLE_NAME = tableName;
  process.env.LEDGER_DYNAMODB_ENDPOINT = dynamoEndpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_DEV ??= 'true';
  resetConfig();
  resetLedgerDependencies();

  let server: Server | undefined;
  try {
    const raw = new DynamoDBClient({
      endpoint: dynamoEndpoint,
      region: process.env.AWS_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await ensureLedgerTable(raw, tableName);
    raw.destroy();

    const tokens = new DynamoTokenStore(createDocumentClient({ region: process.env.AWS_REGION, endpoint: dynamoEndpoint }), tableName);
    const token = await ensureDevToken(tokens, options.devToken ?? process.env.LEDGER_DEV_TOKEN);

    server = createApiServer();
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const address = server.address() as AddressInfo;
    const url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
    const analysis = new LocalAnalysisStarter(options.analysis);
    registerLocalAnalysisStarter(analysis);
    // Analysis events on the in-process bus reach Slack and email as they would through EventBridge.
    const unbindNotifier = bindLocalNotifier(localBus);
    return {
      url,
      token,
      dynamoEndpoint,
      tableName,
      analysis,
      async stop() {
        registerLocalAnalysisStarter(undefined);
        unbindNotifier();
        listening.closeAllConnections();
        await new Promise<void>((resolve) => listening.close(() => resolve()));
        await embedded?.stop();
      },
    };
  } catch (error) {
    server?.close();
    await embedded?.stop();
    throw error;
  }
}

/** The given token (registered with all scopes, idempotently), or a fresh all-scopes local token. */
async function ensureDevToken(tokens: DynamoTokenStore, devToken: string | undefined): Promise<string> {
  if (devToken) {
    const existing = await tokens.getToken(keyIdOf(devToken));
    if (existing && tokenMatches(devToken, existing) && !existing.revokedAt) return devToken;
    return (await createToken(tokens, { name: 'dev', scopes: [...scopes], secret: devToken, now: new Date() })).token;
  }
  return (await createToken(tokens, { name: 'local', scopes: [...scopes], now: new Date() })).token;
}
