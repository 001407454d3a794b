import {
  ListServiceQuotasCommand,
  type ListServiceQuotasCommandInput,
  type ListServiceQuotasCommandOutput,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { malformedReply } from '../../domain/providers/provider-errors.js';
import { followPageTokens } from '../page-tokens.js';
import type { RetryOptions } from '../provider-retry.js';
import { type AwsClientSettings, awsClientConfig, classifyAwsError } from './aws-client-settings.js';

export function createServiceQuotasClient(settings: AwsClientSettings): ServiceQuotasClient {
  return new ServiceQuotasClient(awsClientConfig(settings));
}

/** ListServiceQuotas (ServiceCode `ec2` unless given), every page; the GPU quotas are picked by capacity.ts. */
export function fetchServiceQuotaPages(
  client: ServiceQuotasClient,
  input: Omit<ListServiceQuotasCommandInput, 'NextToken' | 'ServiceCode'> & { ServiceCode?: string } = {},
  options: RetryOptions = {},
): AsyncGenerator<ListServiceQuotasCommandOutput> {
  const operation = 'ServiceQuotas.ListServiceQuotas';
  return followPageTokens(
    { provider: 'aws', operation, classify: classifyAwsError },
    async (token) => {
      const output = await client.send(new ListServiceQuotasCommand({ ServiceCode: 'ec2', ...input, NextToken: token }));
      if (output.Quotas !== undefined && !Array.isArray(output.Quotas))
        throw malformedReply('aws', operation, 'Quotas is not a list', 'Quotas');
      return output;
    },
    (page) => page.NextToken,
    options,
  );
}
