import type { CapabilityConfiguration } from '../../adapters/provider-configuration.js';
import type { LedgerConfig } from '../../config.js';

/**
 * The validated configuration turned into what each collector needs. `configured` is `true` or what is
 * missing (names of settings, never values): a collector that is not configured leaves a `not-configured`
 * run record instead of failing.
 */
export type Configured = true | { missing: string };

export interface AwsCollectorSettings {
  configured: { costs: Configured; prices: Configured; capacity: Configured };
  billingAccountId: string | null;
  billingAccountName: string | null;
  /** Regions for prices and capacity; costs cover every region. */
  regions: string[];
  gpuFamilies: string[];
  costTags: string[];
  restatementDays: number;
  resourceDays: number;
  endpoints: { costExplorer?: string; ec2?: string; pricing?: string; serviceQuotas?: string };
  /** Sign requests to a local endpoint with placeholder credentials (no AWS credentials are configured). */
  placeholderCredentials: boolean;
}

export interface AzureCollectorSettings {
  configured: { costs: Configured; prices: Configured };
  scopes: string[];
  costTags: string[];
  regions: string[];
  restatementDays: number;
  managementEndpoint?: string;
  pricesEndpoint?: string;
}

export interface GcpCollectorSettings {
  configured: { costs: Configured; prices: Configured };
  projectId: string | null;
  exportTable: string | null;
  billingAccountId: string | null;
  location?: string;
  /** Regions whose GPU prices are kept; empty keeps all. */
  regions: string[];
  restatementDays: number;
  catalogEndpoint?: string;
  bigQueryEndpoint?: string;
}

export interface CollectorSettings {
  aws: AwsCollectorSettings;
  azure: AzureCollectorSettings;
  gcp: GcpCollectorSettings;
}

/** What the runtime knows besides the configuration: the AWS account a Lambda function runs in. */
export interface CollectorRuntime {
  awsAccountId?: string | undefined;
}

function configured(enabled: boolean, flag: string, capability: CapabilityConfiguration | undefined, extra: string[] = []): Configured {
  if (!enabled) return { missing: `${flag} is false` };
  const missing = [...(capability?.missing ?? []), ...extra];
  return missing.length === 0 ? true : { missing: missing.join('; ') };
}

/** `...gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9` → `01A2B3-C4D5E6-F7A8B9`. */
export function billingAccountOfExportTable(table: string | undefined): string | null {
  const match = table ? /gcp_billing_export(?:_resource)?_v1_([0-9A-F]{6})_([0-9A-F]{6})_([0-9A-F]{6})$/i.exec(table) : null;
  return match ? `${match[1]}-${match[2]}-${match[3]}`.toUpperCase() : null;
}

export function collectorSettings(config: LedgerConfig, runtime: CollectorRuntime = {}): CollectorSettings {
  const { aws, azure, gcp } = config.providers;
  const awsEndpoints = {
    costExplorer: config.AWS_ENDPOINT_URL_COST_EXPLORER,
    ec2: config.AWS_ENDPOINT_URL_EC2,
    pricing: config.AWS_ENDPOINT_URL_PRICING,
    serviceQuotas: config.AWS_ENDPOINT_URL_SERVICE_QUOTAS,
  };
  const awsBillingAccountId = config.LEDGER_AWS_BILLING_ACCOUNT_ID ?? runtime.awsAccountId ?? null;
  const gcpBillingAccountId = config.LEDGER_GCP_BILLING_ACCOUNT_ID ?? billingAccountOfExportTable(config.LEDGER_GCP_BILLING_EXPORT_TABLE);
  return {
    aws: {
      configured: {
        costs: configured(
          config.LEDGER_AWS_ENABLED,
          'LEDGER_AWS_ENABLED',
          aws.costs,
          awsBillingAccountId ? [] : ['LEDGER_AWS_BILLING_ACCOUNT_ID'],
        ),
        prices: configured(config.LEDGER_AWS_ENABLED, 'LEDGER_AWS_ENABLED', aws.prices),
        capacity: configured(config.LEDGER_AWS_ENABLED, 'LEDGER_AWS_ENABLED', aws.capacity),
      },
      billingAccountId: awsBillingAccountId,
      billingAccountName: config.LEDGER_AWS_BILLING_ACCOUNT_NAME ?? null,
      regions: config.LEDGER_AWS_REGIONS,
      gpuFamilies: config.LEDGER_AWS_GPU_FAMILIES,
      costTags: config.LEDGER_AWS_COST_TAGS,
      restatementDays: config.LEDGER_AWS_RESTATEMENT_DAYS,
      resourceDays: config.LEDGER_AWS_RESOURCE_DAYS,
      endpoints: Object.fromEntries(Object.entries(awsEndpoints).filter(([, url]) => url !== undefined)),
      placeholderCredentials: !config.awsCredentials && Object.values(awsEndpoints).some((url) => url !== undefined),
    },
    azure: {
      configured: {
        costs: configured(config.LEDGER_AZURE_ENABLED, 'LEDGER_AZURE_ENABLED', azure.costs),
        prices: configured(config.LEDGER_AZURE_ENABLED, 'LEDGER_AZURE_ENABLED', azure.prices),
      },
      scopes: config.LEDGER_AZURE_SCOPE ?? [],
      costTags: config.LEDGER_AZURE_COST_TAGS,
      regions: config.LEDGER_AZURE_REGIONS,
      restatementDays: config.LEDGER_AZURE_RESTATEMENT_DAYS,
      ...(config.LEDGER_AZURE_ENDPOINT ? { managementEndpoint: config.LEDGER_AZURE_ENDPOINT } : {}),
      ...(config.LEDGER_AZURE_PRICES_ENDPOINT ? { pricesEndpoint: config.LEDGER_AZURE_PRICES_ENDPOINT } : {}),
    },
    gcp: {
      configured: {
        costs: configured(
          config.LEDGER_GCP_ENABLED,
          'LEDGER_GCP_ENABLED',
          gcp.costs,
          gcpBillingAccountId || !config.LEDGER_GCP_BILLING_EXPORT_TABLE ? [] : ['LEDGER_GCP_BILLING_ACCOUNT_ID'],
        ),
        prices: configured(config.LEDGER_GCP_ENABLED, 'LEDGER_GCP_ENABLED', gcp.prices),
      },
      projectId: config.LEDGER_GCP_PROJECT_ID ?? null,
      exportTable: config.LEDGER_GCP_BILLING_EXPORT_TABLE ?? null,
      billingAccountId: gcpBillingAccountId,
      ...(config.LEDGER_GCP_BIGQUERY_LOCATION ? { location: config.LEDGER_GCP_BIGQUERY_LOCATION } : {}),
      regions: config.LEDGER_GCP_REGIONS,
      restatementDays: config.LEDGER_GCP_RESTATEMENT_DAYS,
      ...(config.LEDGER_GCP_BILLING_ENDPOINT ? { catalogEndpoint: config.LEDGER_GCP_BILLING_ENDPOINT } : {}),
      ...(config.LEDGER_GCP_BIGQUERY_ENDPOINT ? { bigQueryEndpoint: config.LEDGER_GCP_BIGQUERY_ENDPOINT } : {}),
    },
  };
}
