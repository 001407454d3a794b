import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  type GetCostAndUsageCommandInput,
  type GetCostAndUsageCommandOutput,
  GetCostAndUsageWithResourcesCommand,
  type GetCostAndUsageWithResourcesCommandInput,
} from '@aws-sdk/client-cost-explorer';
import type { AwsCostAndUsagePage } from '../../domain/costs/focus-aws.js';
import { malformedReply } from '../../domain/providers/provider-errors.js';
import type { RetryOptions } from '../provider-retry.js';
import { type AwsClientSettings, awsClientConfig, classifyAwsError } from './aws-client-settings.js';
import { followPageTokens } from '../page-tokens.js';

/** Cost Explorer lives in us-east-1 whatever the account's regions. */
export function createCostExplorerClient(settings: Omit<AwsClientSettings, 'region'> & { region?: string }): CostExplorerClient {
  return new CostExplorerClient(awsClientConfig({ ...settings, region: settings.region ?? 'us-east-1' }));
}

/** The metrics every collection asks for: BilledCost, EffectiveCost, ContractedCost and quantities. */
export const awsCostMetrics = ['UnblendedCost', 'AmortizedCost', 'NetUnblendedCost', 'UsageQuantity'];

export type AwsCostQuery = Omit<GetCostAndUsageCommandInput, 'NextPageToken'>;
export type AwsResourceCostQuery = Omit<GetCostAndUsageWithResourcesCommandInput, 'NextPageToken'>;

function pagesOf(
  operation: string,
  fetchPage: (token: string | undefined) => Promise<GetCostAndUsageCommandOutput>,
  options: RetryOptions,
): AsyncGenerator<AwsCostAndUsagePage> {
  return followPageTokens(
    { provider: 'aws', operation, classify: classifyAwsError },
    async (token) => {
      const output = await fetchPage(token);
      if (typeof output !== 'object' || output === null || !Array.isArray(output.ResultsByTime)) {
        throw malformedReply('aws', operation, 'ResultsByTime is missing', 'ResultsByTime');
      }
      return output;
    },
    (page) => page.NextPageToken,
    options,
  );
}

/** GetCostAndUsage, every page, following NextPageToken to the end. */
export function fetchAwsCostPages(
  client: CostExplorerClient,
  query: AwsCostQuery,
  options: RetryOptions = {},
): AsyncGenerator<AwsCostAndUsagePage> {
  return pagesOf(
    'CostExplorer.GetCostAndUsage',
    (token) => client.send(new GetCostAndUsageCommand({ ...query, NextPageToken: token })),
    options,
  );
}

/**
 * GetCostAndUsageWithResources (RESOURCE_ID grouping: per-instance cost, last 14 days, needs a Filter), every
 * page. The reply has the same shape as GetCostAndUsage.
 */
export function fetchAwsResourceCostPages(
  client: CostExplorerClient,
  query: AwsResourceCostQuery,
  options: RetryOptions = {},
): AsyncGenerator<AwsCostAndUsagePage> {
  return pagesOf(
    'CostExplorer.GetCostAndUsageWithResources',
    (token) => client.send(new GetCostAndUsageWithResourcesCommand({ ...query, NextPageToken: token })),
    options,
  );
}

/** Daily cost of one UTC date range [start, end) (`yyyy-mm-dd`), grouped as given (at most two groups). */
export function awsDailyCostQuery(
  start: string,
  end: string,
  groupBy: GetCostAndUsageCommandInput['GroupBy'],
  filter?: GetCostAndUsageCommandInput['Filter'],
): AwsCostQuery {
  return {
    TimePeriod: { Start: start, End: end },
    Granularity: 'DAILY',
    Metrics: awsCostMetrics,
    GroupBy: groupBy,
    ...(filter ? { Filter: filter } : {}),
  };
}
