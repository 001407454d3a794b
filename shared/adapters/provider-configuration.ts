import type { CloudProvider } from '../domain/providers/gpu-catalog.js';

/**
 * Which providers the collectors can talk to, from an environment-shaped record the config reader passes in
 * (this module reads no environment itself). A capability is `configured` when its settings and some source
 * of credentials are present; otherwise `not-configured`, naming what is missing, and its collector is skipped
 * rather than failed.
 */
export type ConfigurationStatus = 'configured' | 'not-configured';

export interface CapabilityConfiguration {
  status: ConfigurationStatus;
  /** Settings to provide, as alternatives joined by " or ". */
  missing: string[];
  /** True when an endpoint override points the capability at a local provider server. */
  local: boolean;
}

export interface ProviderConfiguration {
  provider: CloudProvider;
  /** `configured` when the provider's costs can be collected. */
  status: ConfigurationStatus;
  costs: CapabilityConfiguration;
  prices: CapabilityConfiguration;
  capacity?: CapabilityConfiguration;
}

/** The variables that point the collectors at a local provider server (or any other endpoint). */
export const providerEndpointVariables = {
  awsCostExplorer: 'AWS_ENDPOINT_URL_COST_EXPLORER',
  awsEc2: 'AWS_ENDPOINT_URL_EC2',
  awsPricing: 'AWS_ENDPOINT_URL_PRICING',
  awsServiceQuotas: 'AWS_ENDPOINT_URL_SERVICE_QUOTAS',
  azureManagement: 'LEDGER_AZURE_ENDPOINT',
  azurePrices: 'LEDGER_AZURE_PRICES_ENDPOINT',
  gcpBilling: 'LEDGER_GCP_BILLING_ENDPOINT',
  gcpBigQuery: 'LEDGER_GCP_BIGQUERY_ENDPOINT',
} as const;

/** Settings beyond credentials that the cost collectors need. */
export const providerSettingVariables = {
  azureScope: 'LEDGER_AZURE_SCOPE',
  gcpProjectId: 'LEDGER_GCP_PROJECT_ID',
  gcpBillingExportTable: 'LEDGER_GCP_BILLING_EXPORT_TABLE',
} as const;

type Env = Record<string, string | undefined>;

function has(env: Env, ...names: string[]): boolean {
  return names.every((name) => (env[name] ?? '').trim() !== '');
}

function capability(missing: string[], local: boolean): CapabilityConfiguration {
  return { status: missing.length === 0 ? 'configured' : 'not-configured', missing, local };
}

function awsCredentialsPresent(env: Env): boolean {
  return (
    has(env, 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY') ||
    has(env, 'AWS_PROFILE') ||
    has(env, 'AWS_WEB_IDENTITY_TOKEN_FILE') ||
    has(env, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI') ||
    has(env, 'AWS_CONTAINER_CREDENTIALS_FULL_URI') ||
    // A Lambda function always runs with its execution role's credentials.
    has(env, 'AWS_LAMBDA_FUNCTION_NAME')
  );
}

function azureCredentialsPresent(env: Env): boolean {
  return (
    has(env, 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET') ||
    has(env, 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE') ||
    has(env, 'IDENTITY_ENDPOINT') ||
    has(env, 'MSI_ENDPOINT')
  );
}

function googleCredentialsPresent(env: Env): boolean {
  return has(env, 'GOOGLE_APPLICATION_CREDENTIALS');
}

const awsCredentialNames = 'AWS_ACCESS_KEY_ID+AWS_SECRET_ACCESS_KEY or AWS_PROFILE or AWS_WEB_IDENTITY_TOKEN_FILE';
const azureCredentialNames = 'AZURE_TENANT_ID+AZURE_CLIENT_ID+AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE or a managed identity';
const googleCredentialNames = 'GOOGLE_APPLICATION_CREDENTIALS';

export function providerConfiguration(env: Env): Record<CloudProvider, ProviderConfiguration> {
  const e = providerEndpointVariables;

  const awsLocal = (name: string) => has(env, name);
  const awsCapability = (...endpoints: string[]) => {
    const local = endpoints.every(awsLocal);
    return capability(local || awsCredentialsPresent(env) ? [] : [awsCredentialNames], local);
  };
  const awsCosts = awsCapability(e.awsCostExplorer);
  const aws: ProviderConfiguration = {
    provider: 'aws',
    status: awsCosts.status,
    costs: awsCosts,
    prices: awsCapability(e.awsEc2, e.awsPricing),
    capacity: awsCapability(e.awsEc2, e.awsServiceQuotas),
  };

  const azureLocal = has(env, e.azureManagement) && /^http:\/\//.test(env[e.azureManagement]!);
  const azureMissing: string[] = [];
  if (!has(env, providerSettingVariables.azureScope)) azureMissing.push(providerSettingVariables.azureScope);
  if (!azureLocal && !azureCredentialsPresent(env)) azureMissing.push(azureCredentialNames);
  const azureCosts = capability(azureMissing, azureLocal);
  const azure: ProviderConfiguration = {
    provider: 'azure',
    status: azureCosts.status,
    costs: azureCosts,
    // The Retail Prices API is public.
    prices: capability([], has(env, e.azurePrices)),
  };

  const bigQueryLocal = has(env, e.gcpBigQuery);
  const gcpMissing: string[] = [];
  for (const name of [providerSettingVariables.gcpProjectId, providerSettingVariables.gcpBillingExportTable])
    if (!has(env, name)) gcpMissing.push(name);
  if (!bigQueryLocal && !googleCredentialsPresent(env)) gcpMissing.push(googleCredentialNames);
  const gcpCosts = capability(gcpMissing, bigQueryLocal);
  const catalogLocal = has(env, e.gcpBilling);
  const gcp: ProviderConfiguration = {
    provider: 'gcp',
    status: gcpCosts.status,
    costs: gcpCosts,
    prices: capability(catalogLocal || googleCredentialsPresent(env) ? [] : [googleCredentialNames], catalogLocal),
  };

  return { aws, azure, gcp };
}
