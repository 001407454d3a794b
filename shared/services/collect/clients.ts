import type { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { PricingClient } from '@aws-sdk/client-pricing';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { CostManagementClient } from '@azure/arm-costmanagement';
import type { BigQuery } from '@google-cloud/bigquery';
import type { CloudCatalogClient } from '@google-cloud/billing';
import { createCostExplorerClient } from '../../adapters/aws/cost-explorer.js';
import { createEc2Client } from '../../adapters/aws/ec2.js';
import { createPricingClient } from '../../adapters/aws/pricing.js';
import { createServiceQuotasClient } from '../../adapters/aws/service-quotas.js';
import { createAzureCredential } from '../../adapters/azure/azure-credential.js';
import { createCostManagementClient } from '../../adapters/azure/cost-management.js';
import type { AzureRetailPricesSettings } from '../../adapters/azure/retail-prices.js';
import { createBigQueryClient } from '../../adapters/gcp/bigquery-billing.js';
import { createCloudCatalogClient } from '../../adapters/gcp/cloud-catalog.js';
import { staticGoogleAuthClient } from '../../adapters/gcp/google-auth.js';
import type { CollectorSettings } from './settings.js';

/**
 * The provider clients the collectors use, made on first use from the collector settings. Collectors take
 * this as a parameter, so a test can hand in its own.
 */
export interface ProviderClients {
  costExplorer(): CostExplorerClient;
  ec2(region: string): EC2Client;
  pricing(): PricingClient;
  serviceQuotas(region: string): ServiceQuotasClient;
  costManagement(): CostManagementClient;
  azureRetailPrices(): AzureRetailPricesSettings;
  bigQuery(): BigQuery;
  cloudCatalog(): CloudCatalogClient;
  /** Closes what holds sockets open. */
  close(): Promise<void>;
}

/** Signs requests to a local provider server, which checks that a signature is there, not whose it is. */
const placeholderAwsCredentials = { accessKeyId: 'AKIALOCALPROVIDERS', secretAccessKey: 'local-provider-server' };
/** Bearer token for a local provider server (an http:// endpoint); real endpoints use the SDKs' credentials. */
const localToken = 'local-provider-server';

const isLocal = (endpoint: string | undefined) => endpoint !== undefined && endpoint.startsWith('http://');

export function providerClients(settings: CollectorSettings): ProviderClients {
  const memo = new Map<string, unknown>();
  const once = <T>(key: string, make: () => T): T => {
    if (!memo.has(key)) memo.set(key, make());
    return memo.get(key) as T;
  };
  const { aws, azure, gcp } = settings;
  const credentials = aws.placeholderCredentials ? { credentials: placeholderAwsCredentials } : {};
  const endpoint = (url: string | undefined) => (url ? { endpoint: url } : {});
  return {
    costExplorer: () => once('ce', () => createCostExplorerClient({ ...endpoint(aws.endpoints.costExplorer), ...credentials })),
    ec2: (region) => once(`ec2:${region}`, () => createEc2Client({ region, ...endpoint(aws.endpoints.ec2), ...credentials })),
    pricing: () => once('pricing', () => createPricingClient({ ...endpoint(aws.endpoints.pricing), ...credentials })),
    serviceQuotas: (region) =>
      once(`sq:${region}`, () => createServiceQuotasClient({ region, ...endpoint(aws.endpoints.serviceQuotas), ...credentials })),
    costManagement: () =>
      once('cm', () =>
        createCostManagementClient({
          ...endpoint(azure.managementEndpoint),
          credential: createAzureCredential(
            isLocal(azure.managementEndpoint) ? { kind: 'static', token: localToken } : { kind: 'default' },
          ),
        }),
      ),
    azureRetailPrices: () => ({ ...endpoint(azure.pricesEndpoint) }),
    bigQuery: () =>
      once('bq', () =>
        createBigQueryClient({
          projectId: gcp.projectId ?? '',
          ...endpoint(gcp.bigQueryEndpoint),
          ...(isLocal(gcp.bigQueryEndpoint) ? { authClient: staticGoogleAuthClient(localToken) } : {}),
        }),
      ),
    cloudCatalog: () =>
      once('catalog', () =>
        createCloudCatalogClient({
          ...endpoint(gcp.catalogEndpoint),
          ...(isLocal(gcp.catalogEndpoint) ? { authClient: staticGoogleAuthClient(localToken) } : {}),
        }),
      ),
    async close() {
      for (const [key, client] of memo) {
        if (key === 'catalog') await (client as CloudCatalogClient).close().catch(() => undefined);
        else (client as { destroy?: () => void }).destroy?.();
      }
      memo.clear();
    },
  };
}
