import {
  DescribeCapacityReservationsCommand,
  type DescribeCapacityReservationsCommandInput,
  type DescribeCapacityReservationsCommandOutput,
  DescribeSpotPriceHistoryCommand,
  type DescribeSpotPriceHistoryCommandInput,
  type DescribeSpotPriceHistoryCommandOutput,
  EC2Client,
  GetSpotPlacementScoresCommand,
  type GetSpotPlacementScoresCommandInput,
  type GetSpotPlacementScoresCommandOutput,
} from '@aws-sdk/client-ec2';
import { malformedReply } from '../../domain/providers/provider-errors.js';
import { followPageTokens } from '../page-tokens.js';
import type { RetryOptions } from '../provider-retry.js';
import { type AwsClientSettings, awsClientConfig, classifyAwsError } from './aws-client-settings.js';

export function createEc2Client(settings: AwsClientSettings): EC2Client {
  return new EC2Client(awsClientConfig(settings));
}

function requireArray(value: unknown, operation: string, field: string): void {
  if (value !== undefined && !Array.isArray(value)) throw malformedReply('aws', operation, `${field} is not a list`, field);
}

/** DescribeSpotPriceHistory, every page (NextToken), e.g. GPU instance types, Linux, since a start time. */
export function fetchSpotPriceHistoryPages(
  client: EC2Client,
  input: Omit<DescribeSpotPriceHistoryCommandInput, 'NextToken'>,
  options: RetryOptions = {},
): AsyncGenerator<DescribeSpotPriceHistoryCommandOutput> {
  const operation = 'EC2.DescribeSpotPriceHistory';
  return followPageTokens(
    { provider: 'aws', operation, classify: classifyAwsError },
    async (token) => {
      const output = await client.send(new DescribeSpotPriceHistoryCommand({ ...input, NextToken: token }));
      requireArray(output.SpotPriceHistory, operation, 'SpotPriceHistory');
      return output;
    },
    (page) => page.NextToken,
    options,
  );
}

/** DescribeCapacityReservations (on-demand reservations and Capacity Blocks for ML), every page. */
export function fetchCapacityReservationPages(
  client: EC2Client,
  input: Omit<DescribeCapacityReservationsCommandInput, 'NextToken'> = {},
  options: RetryOptions = {},
): AsyncGenerator<DescribeCapacityReservationsCommandOutput> {
  const operation = 'EC2.DescribeCapacityReservations';
  return followPageTokens(
    { provider: 'aws', operation, classify: classifyAwsError },
    async (token) => {
      const output = await client.send(new DescribeCapacityReservationsCommand({ ...input, NextToken: token }));
      requireArray(output.CapacityReservations, operation, 'CapacityReservations');
      return output;
    },
    (page) => page.NextToken,
    options,
  );
}

/** GetSpotPlacementScores (give at least three instance types), every page. */
export function fetchSpotPlacementScorePages(
  client: EC2Client,
  input: Omit<GetSpotPlacementScoresCommandInput, 'NextToken'>,
  options: RetryOptions = {},
): AsyncGenerator<GetSpotPlacementScoresCommandOutput> {
  const operation = 'EC2.GetSpotPlacementScores';
  return followPageTokens(
    { provider: 'aws', operation, classify: classifyAwsError },
    async (token) => {
      const output = await client.send(new GetSpotPlacementScoresCommand({ ...input, NextToken: token }));
      requireArray(output.SpotPlacementScores, operation, 'SpotPlacementScores');
      return output;
    },
    (page) => page.NextToken,
    options,
  );
}
