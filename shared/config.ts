import { z } from 'zod';

/**
 * The one place that reads the environment. Validated at cold start; a missing or malformed setting
 * fails with a message that names it.
 */
const configSchema = z.object({
  LEDGER_TABLE_NAME: z.string().min(3, 'LEDGER_TABLE_NAME must name the DynamoDB table'),
  LEDGER_DYNAMODB_ENDPOINT: z.url().optional(),
  LEDGER_STAGE: z.string().default('local'),
  AWS_REGION: z.string().default('us-east-1'),
  LEDGER_TOKEN_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  LEDGER_MAX_BATCH_SAMPLES: z.coerce.number().int().min(1).max(100_000).default(10_000),
  LEDGER_MAX_BATCH_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  LEDGER_ROLLUP_RETENTION_DAYS: z.coerce.number().int().min(1).default(400),
  /** The EventBridge bus events go to; unset (locally) they go to the in-process bus. */
  LEDGER_EVENT_BUS_NAME: z.string().min(1).optional(),
});

export type LedgerConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readConfig(env: Record<string, string | undefined> = process.env): LedgerConfig {
  // An empty variable means "not set", as shells and CI systems often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  return result.data;
}

let cached: LedgerConfig | undefined;

/** The process-wide configuration, read once. */
export function config(): LedgerConfig {
  cached ??= readConfig();
  return cached;
}

/** For the local runtime and tests, which set the environment before the first handler runs. */
export function resetConfig(): void {
  cached = undefined;
}
