import { RestError, createHttpHeaders } from '@azure/core-rest-pipeline';
import type { AzureRetailPriceItem } from '../../domain/market/price-points.js';
import { malformedReply } from '../../domain/providers/provider-errors.js';
import { type RetryOptions, callWithRetry } from '../provider-retry.js';
import { classifyAzureError } from './azure-errors.js';

/**
 * Azure Retail Prices API (`GET /api/retail/prices`, public, no authentication): up to 100 Items a page,
 * `NextPageLink` to the next. There is no SDK for it; this uses fetch with the shared retry.
 */
export const azureRetailPricesEndpoint = 'https://prices.azure.com';

export interface AzureRetailPricesSettings {
  /** `https://prices.azure.com` unless overridden (`LEDGER_AZURE_PRICES_ENDPOINT`). */
  endpoint?: string;
  apiVersion?: string;
  fetch?: typeof fetch;
}

export interface AzureRetailPricesPage {
  Items: AzureRetailPriceItem[];
  NextPageLink: string | null;
  BillingCurrency?: string;
  Count?: number;
}

/** OData filter for the Linux GPU VM prices of one region: every size of the catalog's series. */
export function azureGpuPriceFilter(armRegionName: string, armSkuNames: string[]): string {
  const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
  const skus = armSkuNames.map((name) => `armSkuName eq ${quote(name)}`).join(' or ');
  return `serviceName eq 'Virtual Machines' and armRegionName eq ${quote(armRegionName)}${skus ? ` and (${skus})` : ''}`;
}

const maxPages = 100_000;

export async function* fetchAzureRetailPricePages(
  settings: AzureRetailPricesSettings,
  query: { filter: string; currencyCode?: string },
  options: RetryOptions = {},
): AsyncGenerator<AzureRetailPricesPage> {
  const operation = 'RetailPrices.list';
  const endpoint = (settings.endpoint ?? azureRetailPricesEndpoint).replace(/\/+$/, '');
  const origin = new URL(endpoint).origin;
  const doFetch = settings.fetch ?? fetch;
  const first = new URL(`${endpoint}/api/retail/prices`);
  first.searchParams.set('api-version', settings.apiVersion ?? '2023-01-01-preview');
  if (query.currencyCode) first.searchParams.set('currencyCode', `'${query.currencyCode}'`);
  first.searchParams.set('$filter', query.filter);
  let url: string | null = first.toString();
  const seen = new Set<string>();
  for (let count = 0; url; count++) {
    if (count >= maxPages) throw malformedReply('azure', operation, `more than ${maxPages} pages`);
    if (seen.has(url)) throw malformedReply('azure', operation, 'NextPageLink repeats an earlier link', 'NextPageLink');
    seen.add(url);
    const pageUrl: string = url;
    const page = await callWithRetry({ provider: 'azure', operation, classify: classifyAzureError, ...options }, async () => {
      const response = await doFetch(pageUrl, { headers: { accept: 'application/json' } });
      const text = await response.text();
      if (!response.ok) {
        const headers = createHttpHeaders(Object.fromEntries(response.headers.entries()));
        throw new RestError(`HTTP ${response.status}: ${text.slice(0, 200)}`, {
          statusCode: response.status,
          response: { headers, status: response.status, request: undefined as never, bodyAsText: text },
        });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw malformedReply('azure', operation, 'the reply is not JSON', undefined, error);
      }
      const body = parsed as Partial<AzureRetailPricesPage> | null;
      if (typeof body !== 'object' || body === null || !Array.isArray(body.Items))
        throw malformedReply('azure', operation, 'Items is missing', 'Items');
      if (body.NextPageLink !== undefined && body.NextPageLink !== null && typeof body.NextPageLink !== 'string') {
        throw malformedReply('azure', operation, 'NextPageLink is not a string', 'NextPageLink');
      }
      return { Items: body.Items, NextPageLink: body.NextPageLink || null, BillingCurrency: body.BillingCurrency, Count: body.Count };
    });
    yield page;
    url = page.NextPageLink;
    if (url && originOf(url) !== origin)
      throw malformedReply('azure', operation, `NextPageLink is not a link on ${origin}`, 'NextPageLink');
  }
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
