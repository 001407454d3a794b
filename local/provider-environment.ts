import { providerConfiguration, providerEndpointVariables } from '../shared/adapters/provider-configuration.js';
import { localServiceNames } from './providers/faults.js';
import { type LocalProviders, startLocalProviders } from './providers/index.js';

/**
 * The settings that point every collector at a local provider server: its endpoints and the simulated
 * organization's accounts, scope and billing-export table.
 */
export function localProviderEnvironment(providers: Pick<LocalProviders, 'endpoints' | 'accounts'>): Record<string, string> {
  const { aws, azure, gcp } = providers.accounts;
  return {
    ...providers.endpoints,
    LEDGER_AWS_BILLING_ACCOUNT_ID: aws.payerAccountId,
    LEDGER_AWS_BILLING_ACCOUNT_NAME: aws.payerAccountName,
    LEDGER_AZURE_SCOPE: azure.scope,
    LEDGER_GCP_PROJECT_ID: gcp.billingProjectId,
    LEDGER_GCP_BILLING_EXPORT_TABLE: gcp.exportTable,
  };
}

/**
 * True when no provider has credentials and no endpoint variable is set (the public Azure Retail Prices API
 * does not count): the collectors have nothing real to talk to.
 */
export function nothingConfigured(env: Record<string, string | undefined>): boolean {
  const { aws, azure, gcp } = providerConfiguration(env);
  const capabilities = [aws.costs, aws.prices, aws.capacity, azure.costs, gcp.costs, gcp.prices];
  return capabilities.every((c) => c?.status !== 'configured') && Object.values(providerEndpointVariables).every((name) => !env[name]);
}

/**
 * `LEDGER_LOCAL_PROVIDERS`: `auto` (default) starts the local provider server when nothing is configured,
 * `on` always, `off` never; `LEDGER_LOCAL_PROVIDERS_PORT` fixes its ports (eight from that one on; free ports
 * otherwise). When it starts, `env` is pointed at it (the caller resets the configuration).
 */
export async function startLocalProvidersIfWanted(
  env: Record<string, string | undefined> = process.env,
): Promise<LocalProviders | undefined> {
  const mode = (env.LEDGER_LOCAL_PROVIDERS ?? 'auto').toLowerCase();
  if (!['auto', 'on', 'off'].includes(mode))
    throw new Error(`LEDGER_LOCAL_PROVIDERS must be auto, on or off, got ${env.LEDGER_LOCAL_PROVIDERS}`);
  if (mode === 'off' || (mode === 'auto' && !nothingConfigured(env))) return undefined;
  const basePort = env.LEDGER_LOCAL_PROVIDERS_PORT ? Number(env.LEDGER_LOCAL_PROVIDERS_PORT) : undefined;
  if (basePort !== undefined && (!Number.isInteger(basePort) || basePort < 1 || basePort > 65_527))
    throw new Error(`LEDGER_LOCAL_PROVIDERS_PORT must be a port number, got ${env.LEDGER_LOCAL_PROVIDERS_PORT}`);
  const providers = await startLocalProviders(
    basePort === undefined ? {} : { ports: Object.fromEntries(localServiceNames.map((s, i) => [s, basePort + i])) },
  );
  Object.assign(env, localProviderEnvironment(providers));
  return providers;
}
