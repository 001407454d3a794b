import { z } from 'zod';
import { type ProviderConfiguration, providerConfiguration, providerEndpointVariables } from './adapters/provider-configuration.js';
import { awsGpuFamilies, type CloudProvider } from './domain/providers/gpu-catalog.js';

/** `a, b ,c` → ['a', 'b', 'c']; each item checked by `item`. */
const list = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== ''),
    )
    .pipe(z.array(item));
const days = (max: number) => z.coerce.number().int().min(1).max(max);

/**
 * The collectors' settings: which providers, where, and what. Credentials are not read here: the SDKs read
 * their own standard variables; only their presence decides whether a provider is configured.
 */
const collectorConfigShape = {
  LEDGER_AWS_ENABLED: z.stringbool().default(true),
  LEDGER_AZURE_ENABLED: z.stringbool().default(true),
  LEDGER_GCP_ENABLED: z.stringbool().default(true),
  /** Regions whose GPU prices and capacity are collected (costs cover every region). */
  LEDGER_AWS_REGIONS: list(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be AWS region names such as us-east-1')).default([
    'us-east-1',
    'us-west-2',
  ]),
  LEDGER_AWS_GPU_FAMILIES: list(z.enum(awsGpuFamilies)).default([...awsGpuFamilies]),
  /** Cost allocation tag keys to split AWS costs by (each one multiplies the Cost Explorer requests by its values). */
  LEDGER_AWS_COST_TAGS: list(z.string().min(1).max(128)).default([]),
  /** Trailing days (today included) re-collected on every run, because AWS may still restate them. */
  LEDGER_AWS_RESTATEMENT_DAYS: days(366).default(14),
  /** Trailing days collected per resource (GetCostAndUsageWithResources offers at most the last 14); 0 turns it off. */
  LEDGER_AWS_RESOURCE_DAYS: z.coerce.number().int().min(0).max(14).default(14),
  /** The management (payer) account; in Lambda it defaults to the function's own account. */
  LEDGER_AWS_BILLING_ACCOUNT_ID: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .optional(),
  LEDGER_AWS_BILLING_ACCOUNT_NAME: z.string().min(1).optional(),
  /** Cost Management scopes, comma-separated: `/subscriptions/<id>` or `/providers/Microsoft.Billing/billingAccounts/<id>`. */
  LEDGER_AZURE_SCOPE: list(
    z.string().regex(/^\/(subscriptions|providers)\/\S+$/, 'must be Cost Management scopes such as /subscriptions/<id>'),
  ).optional(),
  /** Tag keys whose values are looked up per resource and put on its Azure cost records (one query per key). */
  LEDGER_AZURE_COST_TAGS: list(z.string().min(1).max(512)).default([]),
  LEDGER_AZURE_REGIONS: list(z.string().regex(/^[a-z0-9]+$/, 'must be Azure region names such as eastus')).default(['eastus', 'westus3']),
  LEDGER_AZURE_RESTATEMENT_DAYS: days(366).default(14),
  LEDGER_GCP_PROJECT_ID: z.string().min(1).optional(),
  LEDGER_GCP_BILLING_EXPORT_TABLE: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/, 'must be project.dataset.gcp_billing_export_resource_v1_<account>')
    .optional(),
  /** Defaults to the account named in the export table's name. */
  LEDGER_GCP_BILLING_ACCOUNT_ID: z
    .string()
    .regex(/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, 'must be a billing account id such as 01A2B3-C4D5E6-F7A8B9')
    .optional(),
  LEDGER_GCP_BIGQUERY_LOCATION: z.string().min(1).optional(),
  /** Regions whose GPU prices are kept; all when unset. */
  LEDGER_GCP_REGIONS: list(z.string().regex(/^[a-z]+-[a-z]+\d+$/, 'must be Google Cloud region names such as us-central1')).default([]),
  LEDGER_GCP_RESTATEMENT_DAYS: days(366).default(14),
  // Endpoint overrides (a local provider server); the AWS SDK also reads its AWS_ENDPOINT_URL_* variables itself.
  ...(Object.fromEntries(Object.values(providerEndpointVariables).map((name) => [name, z.url().optional()])) as Record<
    (typeof providerEndpointVariables)[keyof typeof providerEndpointVariables],
    z.ZodOptional<z.ZodURL>
  >),
};

/** What the environment says about the providers, derived at read time (never the credentials themselves). */
export interface CollectorEnvironment {
  providers: Record<CloudProvider, ProviderConfiguration>;
  /** AWS credentials of some kind are present (else a local endpoint gets placeholder credentials). */
  awsCredentials: boolean;
}

function collectorEnvironment(env: Record<string, string | undefined>): CollectorEnvironment {
  const withoutEndpoints = { ...env };
  for (const name of Object.values(providerEndpointVariables)) delete withoutEndpoints[name];
  return {
    providers: providerConfiguration(env),
    awsCredentials: providerConfiguration(withoutEndpoints).aws.costs.status === 'configured',
  };
}

/** `{"team": "https://hooks.slack.com/..."}`: Slack incoming webhooks per team, as JSON. */
const teamWebhooks = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of team name to webhook URL' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().min(1), z.url()));
const percent = z.coerce.number().min(0).max(1000);

/** The analysis, alerting and notification settings. */
const analysisConfigShape = {
  /** The state machine the scheduled starter starts (deployed); unset locally, where the local runner runs it. */
  LEDGER_ANALYSIS_STATE_MACHINE_ARN: z
    .string()
    .regex(/^arn:aws[\w-]*:states:/, 'must be a Step Functions state machine ARN')
    .optional(),
  /** Cost allocation tag (FOCUS Tags key) that names the owning team. */
  LEDGER_TEAM_TAG: z.string().min(1).max(128).default('team'),
  /** move: another offer of the same GPU must be at least this much cheaper (after interruption risk). */
  LEDGER_MOVE_MARGIN_PERCENT: percent.default(15),
  /** consolidate: raised when at least this share of paid GPU-hours was idle. */
  LEDGER_CONSOLIDATE_IDLE_PERCENT: percent.default(60),
  /** renegotiate: a price moved this much against its trailing median. */
  LEDGER_RENEGOTIATE_THRESHOLD_PERCENT: percent.default(10),
  /** anomalies: both floors must be passed, in dollars a day and in percent of the expected value. */
  LEDGER_ANOMALY_MIN_DOLLARS: z.coerce.number().min(0).default(50),
  LEDGER_ANOMALY_MIN_PERCENT: percent.default(20),
  /** anomalies: robust score (|x − median| / 1.4826 MAD) to pass. */
  LEDGER_ANOMALY_MIN_SCORE: z.coerce.number().min(0).default(3.5),
  /** Execution budgets: an unsettled reservation is released after this many seconds. */
  LEDGER_RESERVATION_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Slack incoming webhook for digests and alerts; teams may have their own. */
  LEDGER_SLACK_WEBHOOK_URL: z.url().optional(),
  LEDGER_SLACK_TEAM_WEBHOOKS: teamWebhooks.optional(),
  /** Email: the sender and recipients; sent through SMTP when LEDGER_SMTP_URL is set, else through SES v2. */
  LEDGER_EMAIL_FROM: z.email('LEDGER_EMAIL_FROM must be an email address').optional(),
  LEDGER_EMAIL_TO: list(z.email('LEDGER_EMAIL_TO must be email addresses, comma-separated')).default([]),
  LEDGER_SMTP_URL: z.url().optional(),
  /** Where digests are also written as files (`<dir>/<date>.html` and `.png`); the local runtime sets `.ledger/digests`. */
  LEDGER_DIGEST_DIR: z.string().min(1).optional(),
};

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
  LEDGER_MAX_BATCH_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  LEDGER_ROLLUP_RETENTION_DAYS: z.coerce.number().int().min(1).default(400),
  /** The EventBridge bus events go to; unset (locally) they go to the in-process bus. */
  LEDGER_EVENT_BUS_NAME: z.string().min(1).optional(),
  ...collectorConfigShape,
  ...analysisConfigShape,
});

export type LedgerConfig = z.infer<typeof configSchema> & CollectorEnvironment;

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
  return { ...result.data, ...collectorEnvironment(present) };
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
