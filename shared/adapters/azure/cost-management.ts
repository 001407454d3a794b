import { CostManagementClient, type QueryDefinition, type QueryGrouping } from '@azure/arm-costmanagement';
import {
  type PipelinePolicy,
  RestError,
  bearerTokenAuthenticationPolicyName,
  createHttpHeaders,
  createPipelineRequest,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import type { AzureCostType, AzureQueryPage } from '../../domain/costs/focus-azure.js';
import { malformedReply } from '../../domain/providers/provider-errors.js';
import { type RetryOptions, callWithRetry } from '../provider-retry.js';
import { classifyAzureError } from './azure-errors.js';

export const azureManagementEndpoint = 'https://management.azure.com';

export interface AzureManagementSettings {
  /** `https://management.azure.com` unless overridden (`LEDGER_AZURE_ENDPOINT`, e.g. a local provider server). */
  endpoint?: string;
  credential: TokenCredential;
  /** Query API version; the SDK's own default when absent. */
  apiVersion?: string;
}

/**
 * The bearer policy of @azure/core-rest-pipeline refuses to send a token over http://, and the pipeline
 * refuses http:// requests unless they allow it. Against a local provider server (and only when the
 * configured endpoint is http://) the bearer policy is replaced by this one, which sends the credential's
 * token the same way and marks the request as allowed over http.
 */
function localBearerTokenPolicy(credential: TokenCredential, scope: string): PipelinePolicy {
  return {
    name: 'localBearerTokenPolicy',
    async sendRequest(request, next) {
      request.allowInsecureConnection = true;
      const token = await credential.getToken(scope);
      if (token) request.headers.set('authorization', `Bearer ${token.token}`);
      return next(request);
    },
  };
}

export function createCostManagementClient(settings: AzureManagementSettings): CostManagementClient {
  const endpoint = (settings.endpoint ?? azureManagementEndpoint).replace(/\/+$/, '');
  const client = new CostManagementClient(settings.credential, {
    endpoint,
    $host: endpoint,
    retryOptions: { maxRetries: 0 },
    ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
  });
  if (endpoint.startsWith('http://')) {
    client.pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
    client.pipeline.addPolicy(localBearerTokenPolicy(settings.credential, `${endpoint}/.default`));
  }
  return client;
}

export interface AzureCostQueryParams {
  type: AzureCostType;
  /** Inclusive start, `yyyy-mm-dd` (UTC). */
  from: string;
  /** Exclusive end, `yyyy-mm-dd` (UTC). */
  to: string;
  /** At most two groupings (the API's limit); ResourceId and PricingModel by default. */
  grouping?: QueryGrouping[];
}

export const defaultAzureCostGrouping: QueryGrouping[] = [
  { type: 'Dimension', name: 'ResourceId' },
  { type: 'Dimension', name: 'PricingModel' },
];

/** A daily query definition for [from, to). The API's `to` is inclusive, so it ends one second before `to`. */
export function azureCostQueryDefinition(params: AzureCostQueryParams): QueryDefinition {
  const from = new Date(`${params.from}T00:00:00Z`);
  const to = new Date(Date.parse(`${params.to}T00:00:00Z`) - 1000);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from)
    throw new RangeError(`Bad period ${params.from}..${params.to}`);
  const grouping = params.grouping ?? defaultAzureCostGrouping;
  if (grouping.length > 2) throw new RangeError('The Query API allows at most two groupings');
  return {
    type: params.type,
    timeframe: 'Custom',
    timePeriod: { from, to },
    dataset: {
      granularity: 'Daily',
      aggregation: { totalCost: { name: 'Cost', function: 'Sum' } },
      grouping,
    },
  };
}

const maxPages = 100_000;

/**
 * Query.usage for a scope (`/subscriptions/<id>`, `/providers/Microsoft.Billing/billingAccounts/<id>`), then
 * every `nextLink`, each POSTed with the same definition as the API requires. nextLinks must stay on the
 * configured endpoint's origin: the bearer token is never sent elsewhere.
 */
export async function* fetchAzureCostPages(
  client: CostManagementClient,
  params: { scope: string; definition: QueryDefinition },
  options: RetryOptions = {},
): AsyncGenerator<AzureQueryPage> {
  const operation = 'CostManagement.Query.usage';
  const call = { provider: 'azure' as const, operation, classify: classifyAzureError, ...options };
  const scope = params.scope.replace(/^\/+/, '');
  const first = await callWithRetry(call, () => client.query.usage(scope, params.definition));
  let page = checkPage(first, operation);
  yield page;
  const origin = new URL(client.$host).origin;
  const body = JSON.stringify(params.definition);
  const seen = new Set<string>();
  for (let count = 1; page.nextLink; count++) {
    const nextLink = page.nextLink;
    if (count >= maxPages) throw malformedReply('azure', operation, `more than ${maxPages} pages`);
    let url: URL;
    try {
      url = new URL(nextLink);
    } catch {
      throw malformedReply('azure', operation, 'nextLink is not a URL', 'properties.nextLink');
    }
    if (url.origin !== origin) throw malformedReply('azure', operation, `nextLink leaves ${origin}`, 'properties.nextLink');
    if (seen.has(nextLink)) throw malformedReply('azure', operation, 'nextLink repeats an earlier link', 'properties.nextLink');
    seen.add(nextLink);
    page = await callWithRetry(call, async () => {
      const response = await client.sendRequest(
        createPipelineRequest({
          url: nextLink,
          method: 'POST',
          body,
          headers: createHttpHeaders({ 'content-type': 'application/json', accept: 'application/json' }),
        }),
      );
      if (response.status < 200 || response.status >= 300) {
        throw new RestError(`HTTP ${response.status}: ${(response.bodyAsText ?? '').slice(0, 200)}`, {
          statusCode: response.status,
          response,
          code: errorCode(response.bodyAsText),
        });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(response.bodyAsText ?? '');
      } catch (error) {
        throw malformedReply('azure', operation, 'the reply is not JSON', undefined, error);
      }
      const properties = (parsed as { properties?: unknown } | null)?.properties;
      if (typeof properties !== 'object' || properties === null)
        throw malformedReply('azure', operation, 'properties is missing', 'properties');
      return checkPage(properties as AzureQueryPage, operation);
    });
    yield page;
  }
}

function errorCode(body: string | null | undefined): string | undefined {
  try {
    const code = (JSON.parse(body ?? '') as { error?: { code?: unknown } })?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function checkPage(page: unknown, operation: string): AzureQueryPage {
  if (typeof page !== 'object' || page === null) throw malformedReply('azure', operation, 'reply is not an object');
  const { columns, rows, nextLink } = page as AzureQueryPage;
  if (!Array.isArray(columns)) throw malformedReply('azure', operation, 'columns is missing', 'properties.columns');
  if (!Array.isArray(rows)) throw malformedReply('azure', operation, 'rows is missing', 'properties.rows');
  if (nextLink !== undefined && nextLink !== null && typeof nextLink !== 'string')
    throw malformedReply('azure', operation, 'nextLink is not a string', 'properties.nextLink');
  return { columns, rows, nextLink: nextLink || null };
}
