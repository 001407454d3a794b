import { CloudCatalogClient } from '@google-cloud/billing';
import type { OAuth2Client } from 'google-auth-library';
import type { GcpSku } from '../../domain/market/price-points.js';
import { malformedReply } from '../../domain/providers/provider-errors.js';
import { followPageTokens } from '../page-tokens.js';
import type { RetryOptions } from '../provider-retry.js';
import { classifyGaxError } from './google-errors.js';

/** Compute Engine's service id in the Cloud Billing Catalog. */
export const computeEngineServiceId = '6F81-5844-456A';

export interface CloudCatalogSettings {
  /** `https://cloudbilling.googleapis.com` unless overridden (`LEDGER_GCP_BILLING_ENDPOINT`, e.g. http://127.0.0.1:4010). */
  endpoint?: string;
  /** A fixed-token client for a local server; Application Default Credentials when absent. */
  authClient?: OAuth2Client;
}

/**
 * The Cloud Billing Catalog client on its REST transport (`fallback: true`: HTTP/1.1 + JSON, no gRPC), with an
 * endpoint override split into host, port and protocol as google-gax expects them.
 */
export function createCloudCatalogClient(settings: CloudCatalogSettings = {}): CloudCatalogClient {
  const options: ConstructorParameters<typeof CloudCatalogClient>[0] & { protocol?: string } = { fallback: true };
  if (settings.endpoint) {
    const url = new URL(settings.endpoint);
    options.apiEndpoint = url.hostname;
    options.port = Number(url.port || (url.protocol === 'http:' ? 80 : 443));
    options.protocol = url.protocol.replace(':', '');
  }
  // google-gax bundles its own copy of google-auth-library; the client is the same class at runtime.
  if (settings.authClient) options.authClient = settings.authClient as unknown as NonNullable<typeof options.authClient>;
  return new CloudCatalogClient(options);
}

export interface GcpSkuPage {
  skus: GcpSku[];
  nextPageToken: string;
}

/** services.skus.list for one service, every page (nextPageToken), prices in `currencyCode`. */
export function fetchGcpSkuPages(
  client: CloudCatalogClient,
  query: { serviceId?: string; currencyCode?: string; pageSize?: number },
  options: RetryOptions = {},
): AsyncGenerator<GcpSkuPage> {
  const operation = 'CloudCatalog.listSkus';
  const parent = `services/${query.serviceId ?? computeEngineServiceId}`;
  return followPageTokens(
    { provider: 'gcp', operation, classify: classifyGaxError },
    async (pageToken) => {
      const [skus, , response] = await client.listSkus(
        { parent, currencyCode: query.currencyCode ?? 'USD', pageSize: query.pageSize ?? 5000, ...(pageToken ? { pageToken } : {}) },
        { autoPaginate: false },
      );
      if (!Array.isArray(skus)) throw malformedReply('gcp', operation, 'skus is not a list', 'skus');
      return { skus: skus as GcpSku[], nextPageToken: (response as { nextPageToken?: string } | undefined)?.nextPageToken ?? '' };
    },
    (page) => page.nextPageToken,
    options,
  );
}
