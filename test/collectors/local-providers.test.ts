import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalProviders, startLocalProviders } from '../../local/providers/index.js';
import { clock } from './helpers.js';

let a: LocalProviders;
let b: LocalProviders;

beforeAll(async () => {
  a = await startLocalProviders({ now: clock, seed: 7, throttleOnePagePerProvider: false, pageSizes: { costExplorer: 10_000 } });
  b = await startLocalProviders({ now: clock, seed: 7, throttleOnePagePerProvider: false, pageSizes: { costExplorer: 10_000 } });
});
afterAll(async () => {
  await a.stop();
  await b.stop();
});

async function costExplorerBody(providers: LocalProviders): Promise<string> {
  const response = await fetch(providers.endpoints.AWS_ENDPOINT_URL_COST_EXPLORER!, {
    method: 'POST',
    headers: {
      'x-amz-target': 'AWSInsightsIndexService.GetCostAndUsage',
      'content-type': 'application/x-amz-json-1.1',
      authorization: 'AWS4-HMAC-SHA256 Credential=x/20261123/us-east-1/ce/aws4_request',
    },
    body: JSON.stringify({
      TimePeriod: { Start: '2026-10-01', End: '2026-11-23' },
      Granularity: 'DAILY',
      Metrics: ['UnblendedCost'],
      GroupBy: [
        { Type: 'DIMENSION', Key: 'SERVICE' },
        { Type: 'DIMENSION', Key: 'PURCHASE_TYPE' },
      ],
    }),
  });
  return response.text();
}

describe('startLocalProviders', () => {
  it('maps every endpoint variable to an http:// URL', () => {
    expect(Object.keys(a.endpoints).sort()).toEqual([
      'AWS_ENDPOINT_URL_COST_EXPLORER',
      'AWS_ENDPOINT_URL_EC2',
      'AWS_ENDPOINT_URL_PRICING',
      'AWS_ENDPOINT_URL_SERVICE_QUOTAS',
      'LEDGER_AZURE_ENDPOINT',
      'LEDGER_AZURE_PRICES_ENDPOINT',
      'LEDGER_GCP_BIGQUERY_ENDPOINT',
      'LEDGER_GCP_BILLING_ENDPOINT',
    ]);
    for (const url of Object.values(a.endpoints)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers byte-identical replies for the same seed and clock', async () => {
    const [first, second] = await Promise.all([costExplorerBody(a), costExplorerBody(b)]);
    expect(first).toBe(second);
    expect(JSON.parse(first).ResultsByTime.length).toBeGreaterThan(50);
  });

  it('keeps a few months of history up to the clock, with the last days estimated', async () => {
    const body = JSON.parse(await costExplorerBody(a));
    const days = body.ResultsByTime as Array<{ TimePeriod: { Start: string }; Estimated: boolean; Groups: unknown[] }>;
    expect(days[0]!.TimePeriod.Start).toBe('2026-10-01');
    expect(days.at(-1)!.TimePeriod.Start).toBe('2026-11-22');
    expect(days.filter((d) => d.Estimated).map((d) => d.TimePeriod.Start)).toEqual(['2026-11-21', '2026-11-22']);
    expect(a.organization.firstDay).toBe(Date.UTC(2026, 7, 25));
  });

  it('refuses unauthenticated calls the way each provider does', async () => {
    expect(
      (
        await fetch(
          `${a.endpoints.LEDGER_AZURE_ENDPOINT}${a.accounts.azure.scope}/providers/Microsoft.CostManagement/query?api-version=2023-11-01`,
          { method: 'POST', body: '{}' },
        )
      ).status,
    ).toBe(401);
    expect((await fetch(`${a.endpoints.LEDGER_GCP_BILLING_ENDPOINT}/v1/services/6F81-5844-456A/skus`)).status).toBe(401);
    expect((await fetch(`${a.endpoints.AWS_ENDPOINT_URL_EC2}/`, { method: 'POST', body: 'Action=DescribeSpotPriceHistory' })).status).toBe(
      401,
    );
  });
});
