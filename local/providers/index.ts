import { costExplorerService } from './aws-cost-explorer.js';
import { ec2Service } from './aws-ec2.js';
import { pricingService } from './aws-pricing.js';
import { serviceQuotasService } from './aws-service-quotas.js';
import { costManagementService } from './azure-cost-management.js';
import { retailPricesService } from './azure-retail-prices.js';
import { FaultControls, type LocalServiceName, type ServiceFaults } from './faults.js';
import { bigQueryService } from './gcp-bigquery.js';
import { cloudCatalogService } from './gcp-cloud-catalog.js';
import { type RunningService, type ServiceHandler, startService } from './http.js';
import { SimulatedOrganization, type SimulationOptions, awsOrganization, azureOrganization, gcpOrganization } from './simulation.js';

export type { LocalServiceName, ServiceFaults } from './faults.js';
export type { AwsInstanceSpec, AzureVmSpec, GcpInstanceSpec } from './simulation.js';

/**
 * The local provider server: one HTTP listener per provider API, each answering in that API's real wire
 * format, over one simulated organization. Point the collectors at it with the returned `endpoints`
 * (environment variable → URL):
 *
 *   AWS_ENDPOINT_URL_COST_EXPLORER, AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_PRICING, AWS_ENDPOINT_URL_SERVICE_QUOTAS,
 *   LEDGER_AZURE_ENDPOINT, LEDGER_AZURE_PRICES_ENDPOINT, LEDGER_GCP_BILLING_ENDPOINT, LEDGER_GCP_BIGQUERY_ENDPOINT
 */
export interface LocalProvidersOptions extends SimulationOptions {
  /** Faults to start with; `controls` changes them later. */
  faults?: Partial<Record<LocalServiceName, ServiceFaults>>;
  /** Throttle one page request per provider once (Cost Explorer, Cost Management, BigQuery). Default true. */
  throttleOnePagePerProvider?: boolean;
  /** Page sizes: groups (Cost Explorer), rows (Cost Management, BigQuery), items (Retail Prices). */
  pageSizes?: { costExplorer?: number; costManagement?: number; bigQuery?: number; retailPrices?: number };
  /** Rows the BigQuery query returns, generated, instead of the simulated fleet (benchmarks). */
  bigQuerySyntheticRows?: number;
  /** Fixed ports by service (the local runtime); ephemeral ports otherwise. */
  ports?: Partial<Record<LocalServiceName, number>>;
}

export const localProviderEndpointVariables: Record<LocalServiceName, string> = {
  'aws-cost-explorer': 'AWS_ENDPOINT_URL_COST_EXPLORER',
  'aws-ec2': 'AWS_ENDPOINT_URL_EC2',
  'aws-pricing': 'AWS_ENDPOINT_URL_PRICING',
  'aws-service-quotas': 'AWS_ENDPOINT_URL_SERVICE_QUOTAS',
  'azure-cost-management': 'LEDGER_AZURE_ENDPOINT',
  'azure-retail-prices': 'LEDGER_AZURE_PRICES_ENDPOINT',
  'gcp-cloud-catalog': 'LEDGER_GCP_BILLING_ENDPOINT',
  'gcp-bigquery': 'LEDGER_GCP_BIGQUERY_ENDPOINT',
};

export interface LocalProviders {
  /** Environment variable name → base URL. */
  endpoints: Record<string, string>;
  /** Base URL by service name. */
  urls: Record<LocalServiceName, string>;
  /** Fault injection and request counts, plus `restate()` to make the restated day's late usage arrive. */
  controls: FaultControls & { restate(): void };
  organization: SimulatedOrganization;
  /** Identifiers of the simulated organization, for building queries. */
  accounts: {
    aws: typeof awsOrganization;
    azure: { subscriptionId: string; subscriptionName: string; scope: string };
    gcp: typeof gcpOrganization;
  };
  stop(): Promise<void>;
}

export async function startLocalProviders(options: LocalProvidersOptions = {}): Promise<LocalProviders> {
  const organization = new SimulatedOrganization(options);
  const faults = new FaultControls(options.faults);
  const throttleOnePage = options.throttleOnePagePerProvider ?? true;
  const sizes = options.pageSizes ?? {};
  const handlers: Record<LocalServiceName, ServiceHandler> = {
    'aws-cost-explorer': costExplorerService(organization, faults, { pageSize: sizes.costExplorer ?? 100, throttleOnePage }),
    'aws-ec2': ec2Service(organization, faults),
    'aws-pricing': pricingService(organization, faults),
    'aws-service-quotas': serviceQuotasService(faults),
    'azure-cost-management': costManagementService(organization, faults, { pageSize: sizes.costManagement ?? 1000, throttleOnePage }),
    'azure-retail-prices': retailPricesService(organization, faults, { pageSize: sizes.retailPrices ?? 100 }),
    'gcp-cloud-catalog': cloudCatalogService(organization, faults),
    'gcp-bigquery': bigQueryService(organization, faults, {
      pageSize: sizes.bigQuery ?? 10_000,
      throttleOnePage,
      syntheticRows: options.bigQuerySyntheticRows,
    }),
  };
  const running: Partial<Record<LocalServiceName, RunningService>> = {};
  try {
    for (const [name, handler] of Object.entries(handlers) as Array<[LocalServiceName, ServiceHandler]>) {
      running[name] = await startService(handler, options.ports?.[name] ?? 0);
    }
  } catch (error) {
    await Promise.all(Object.values(running).map((s) => s?.close()));
    throw error;
  }
  const urls = Object.fromEntries(Object.entries(running).map(([name, s]) => [name, s!.url])) as Record<LocalServiceName, string>;
  const endpoints = Object.fromEntries(
    Object.entries(urls).map(([name, url]) => [localProviderEndpointVariables[name as LocalServiceName], url]),
  );
  const controls = Object.assign(faults, { restate: () => organization.restate() });
  return {
    endpoints,
    urls,
    controls,
    organization,
    accounts: {
      aws: awsOrganization,
      azure: {
        subscriptionId: azureOrganization.subscriptionId,
        subscriptionName: azureOrganization.subscriptionName,
        scope: azureOrganization.scope,
      },
      gcp: gcpOrganization,
    },
    stop: async () => {
      await Promise.all(Object.values(running).map((s) => s!.close()));
    },
  };
}
