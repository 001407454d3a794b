import { GetProductsCommand, type GetProductsCommandInput, type GetProductsCommandOutput, PricingClient } from '@aws-sdk/client-pricing';
import { malformedReply } from '../../domain/providers/provider-errors.js';
import { followPageTokens } from '../page-tokens.js';
import type { RetryOptions } from '../provider-retry.js';
import { type AwsClientSettings, awsClientConfig, classifyAwsError } from './aws-client-settings.js';

/** The Price List query API answers in us-east-1 (also eu-central-1 and ap-south-1). */
export function createPricingClient(settings: Omit<AwsClientSettings, 'region'> & { region?: string }): PricingClient {
  return new PricingClient(awsClientConfig({ ...settings, region: settings.region ?? 'us-east-1' }));
}

export interface AwsPriceListPage {
  /** Each entry is one product with its terms, as a JSON string (the wire format). */
  PriceList: string[];
  NextToken?: string;
}

/** GetProducts filters for on-demand Linux, shared-tenancy prices of one instance type in one region. */
export function ec2GpuPriceFilters(instanceType: string, regionCode: string): GetProductsCommandInput['Filters'] {
  return [
    { Type: 'TERM_MATCH', Field: 'instanceType', Value: instanceType },
    { Type: 'TERM_MATCH', Field: 'regionCode', Value: regionCode },
    { Type: 'TERM_MATCH', Field: 'operatingSystem', Value: 'Linux' },
    { Type: 'TERM_MATCH', Field: 'tenancy', Value: 'Shared' },
    { Type: 'TERM_MATCH', Field: 'preInstalledSw', Value: 'NA' },
    { Type: 'TERM_MATCH', Field: 'capacitystatus', Value: 'Used' },
  ];
}

function priceListEntries(output: GetProductsCommandOutput): string[] {
  const list = output.PriceList as unknown;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw malformedReply('aws', 'Pricing.GetProducts', 'PriceList is not a list', 'PriceList');
  // The SDK may hand each entry back as a string, a String-like lazy JSON value, or already parsed.
  return list.map((entry) =>
    typeof entry === 'object' && entry !== null && !(entry instanceof String) ? JSON.stringify(entry) : String(entry),
  );
}

/** GetProducts (ServiceCode AmazonEC2 unless given), every page. */
export async function* fetchAwsPriceListPages(
  client: PricingClient,
  input: Omit<GetProductsCommandInput, 'NextToken' | 'ServiceCode'> & { ServiceCode?: string },
  options: RetryOptions = {},
): AsyncGenerator<AwsPriceListPage> {
  const pages = followPageTokens(
    { provider: 'aws', operation: 'Pricing.GetProducts', classify: classifyAwsError },
    (token) =>
      client.send(
        new GetProductsCommand({ FormatVersion: 'aws_v1', ...input, ServiceCode: input.ServiceCode ?? 'AmazonEC2', NextToken: token }),
      ),
    (page) => page.NextToken,
    options,
  );
  for await (const page of pages) yield { PriceList: priceListEntries(page), NextToken: page.NextToken };
}
