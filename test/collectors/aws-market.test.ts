import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createEc2Client,
  fetchCapacityReservationPages,
  fetchSpotPlacementScorePages,
  fetchSpotPriceHistoryPages,
} from '../../shared/adapters/aws/ec2.js';
import { createPricingClient, ec2GpuPriceFilters, fetchAwsPriceListPages } from '../../shared/adapters/aws/pricing.js';
import { createServiceQuotasClient, fetchServiceQuotaPages } from '../../shared/adapters/aws/service-quotas.js';
import {
  capacityReservationObservations,
  gpuQuotaObservations,
  spotPlacementScoreObservations,
} from '../../shared/domain/market/capacity.js';
import { pricePointsFromAwsPriceList, spotPricePointsFromEc2 } from '../../shared/domain/market/price-points.js';
import { ProviderError } from '../../shared/domain/providers/provider-errors.js';
import { type LocalProviders, startLocalProviders } from '../../local/providers/index.js';
import { clock, collect, failureOf, fastRetry, localAwsCredentials } from './helpers.js';

let providers: LocalProviders;
const observedAt = '2026-11-23T09:00:00.000Z';

beforeAll(async () => {
  providers = await startLocalProviders({ now: clock });
});
afterAll(() => providers.stop());
beforeEach(() => {
  providers.controls.reset();
  providers.controls.resetCounts();
});

const ec2 = () =>
  createEc2Client({ region: 'us-east-1', endpoint: providers.endpoints.AWS_ENDPOINT_URL_EC2, credentials: localAwsCredentials });
const spotQuery = {
  InstanceTypes: ['p5.48xlarge', 'g6e.12xlarge'] as never[],
  ProductDescriptions: ['Linux/UNIX'],
  StartTime: new Date('2026-11-22T00:00:00Z'),
  MaxResults: 10,
};

async function spotPoints() {
  const pages = await collect(fetchSpotPriceHistoryPages(ec2(), spotQuery, fastRetry));
  return { pages, points: pages.flatMap((page) => spotPricePointsFromEc2(page.SpotPriceHistory ?? [], { region: 'us-east-1' })) };
}

describe('EC2 spot price history (query protocol, XML)', () => {
  it('follows NextToken and yields per-GPU prices', async () => {
    const { pages, points } = await spotPoints();
    // 2 types × 3 zones × 6 six-hour steps from 2026-11-22T00:00 to 09:30 the next day = 36 prices, 10 a page.
    expect(points).toHaveLength(36);
    expect(pages.length).toBe(4);
    const p5 = points.filter((p) => p.instanceType === 'p5.48xlarge');
    expect(p5.every((p) => p.gpuModel === 'H100' && p.gpuCount === 8)).toBe(true);
    for (const p of points) expect(Number(p.pricePerGpuHour) * p.gpuCount).toBeCloseTo(Number(p.pricePerHour), 9);
    // Spot sits between 35% and 60% of on-demand (55.04).
    expect(p5.every((p) => Number(p.pricePerHour) >= 19.264 && Number(p.pricePerHour) < 33.024)).toBe(true);
    expect(new Set(points.map((p) => p.key)).size).toBe(36);
  });

  it('re-collecting gives the same keys and prices', async () => {
    const first = (await spotPoints()).points;
    const second = (await spotPoints()).points;
    expect(second).toEqual(first);
  });

  it('retries RequestLimitExceeded, fails clearly on a persistent 500, refuses a malformed XML body', async () => {
    providers.controls.throttle('aws-ec2', 2);
    expect((await spotPoints()).points).toHaveLength(36);
    providers.controls.reset();
    providers.controls.fail('aws-ec2', 'always');
    const failure = await failureOf(() => spotPoints());
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure.message).toMatch(/EC2\.DescribeSpotPriceHistory failed after 4 attempts .*HTTP 500 InternalError/);
    providers.controls.reset();
    providers.controls.malformed('aws-ec2', 1);
    const malformed = await failureOf(() => spotPoints());
    expect(malformed).toMatchObject({ kind: 'malformed_reply' });
  });
});

describe('EC2 capacity', () => {
  it('reads capacity reservations and Capacity Blocks', async () => {
    const pages = await collect(fetchCapacityReservationPages(ec2(), { MaxResults: 1 }, fastRetry));
    expect(pages).toHaveLength(3);
    const observations = pages.flatMap((p) =>
      capacityReservationObservations(p.CapacityReservations ?? [], { region: 'us-east-1', observedAt }),
    );
    expect(observations.map((o) => [o.reservationId, o.reservationType, o.state, o.usedGpus])).toEqual([
      ['cr-0a1b2c3d4e5f60001', 'capacity-block', 'active', 24],
      ['cr-0a1b2c3d4e5f60002', 'default', 'active', 8],
      ['cr-0a1b2c3d4e5f60003', 'capacity-block', 'expired', 0],
    ]);
    expect(observations[0]).toMatchObject({ startDate: '2026-11-21T11:30:00.000Z', endDate: '2026-11-28T11:30:00.000Z', gpuModel: 'H100' });
  });

  it('reads spot placement scores per zone', async () => {
    const request = { instanceTypes: ['p5.48xlarge', 'p4d.24xlarge', 'p5e.48xlarge'], targetCapacity: 2, observedAt };
    const pages = await collect(
      fetchSpotPlacementScorePages(
        ec2(),
        {
          InstanceTypes: request.instanceTypes as never[],
          TargetCapacity: 2,
          SingleAvailabilityZone: true,
          RegionNames: ['us-east-1', 'us-west-2'],
          MaxResults: 10,
        },
        fastRetry,
      ),
    );
    const scores = pages.flatMap((p) => spotPlacementScoreObservations(p.SpotPlacementScores ?? [], request));
    expect(scores.map((s) => s.availabilityZoneId)).toEqual(['use1-az1', 'use1-az2', 'use1-az4', 'usw2-az1', 'usw2-az2', 'usw2-az4']);
    expect(scores.every((s) => s.score >= 1 && s.score <= 10)).toBe(true);
  });
});

describe('Price List GetProducts', () => {
  const pricing = () => createPricingClient({ endpoint: providers.endpoints.AWS_ENDPOINT_URL_PRICING, credentials: localAwsCredentials });

  it('reads on-demand and reserved prices of one type', async () => {
    const pages = await collect(fetchAwsPriceListPages(pricing(), { Filters: ec2GpuPriceFilters('p5.48xlarge', 'us-east-1') }, fastRetry));
    const points = pages.flatMap((p) => p.PriceList.flatMap((entry, i) => pricePointsFromAwsPriceList(entry, i)));
    expect(points.map((p) => [p.pricingCategory, p.term, p.variant, p.pricePerHour, p.pricePerGpuHour])).toEqual([
      ['on-demand', null, 'Linux', '55.04', '6.88'],
      // 62% of on-demand, rounded to 4 places: 34.1248; per GPU 4.2656.
      ['reserved', '1yr', 'standard/No Upfront', '34.1248', '4.2656'],
      // 3yr All Upfront: round(55.04 × 26280 × 0.4) = 578580 over 26280 hours = 22.01598173516 (12 places, half-even).
      ['reserved', '3yr', 'standard/All Upfront', '22.01598173516', '2.751997716895'],
    ]);
    expect(points[0]!.observedAt).toBe('2026-11-01T00:00:00.000Z');
  });

  it('pages through every Linux product and skips the Windows one', async () => {
    const pages = await collect(
      fetchAwsPriceListPages(
        pricing(),
        { Filters: [{ Type: 'TERM_MATCH', Field: 'tenancy', Value: 'Shared' }], MaxResults: 20 },
        fastRetry,
      ),
    );
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const points = pages.flatMap((p) => p.PriceList.flatMap((entry, i) => pricePointsFromAwsPriceList(entry, i)));
    expect(points.some((p) => p.instanceType === 'm7i.large')).toBe(false);
    // 2 regions × 38 GPU types of the catalog × (on-demand + two reserved terms).
    expect(points).toHaveLength(2 * 38 * 3);
  });

  it('retries ThrottlingException, gives up on a persistent 500, refuses a malformed body', async () => {
    providers.controls.throttle('aws-pricing', 2);
    const pages = await collect(fetchAwsPriceListPages(pricing(), { Filters: ec2GpuPriceFilters('g6.xlarge', 'us-west-2') }, fastRetry));
    expect(pages[0]!.PriceList).toHaveLength(1);
    expect(providers.controls.requests('aws-pricing')).toBe(3);
    providers.controls.fail('aws-pricing', 'always');
    expect(
      await failureOf(() =>
        collect(fetchAwsPriceListPages(pricing(), { Filters: ec2GpuPriceFilters('g6.xlarge', 'us-west-2') }, fastRetry)),
      ),
    ).toMatchObject({ kind: 'unavailable' });
    providers.controls.reset();
    providers.controls.malformed('aws-pricing', 1);
    expect(
      await failureOf(() =>
        collect(fetchAwsPriceListPages(pricing(), { Filters: ec2GpuPriceFilters('g6.xlarge', 'us-west-2') }, fastRetry)),
      ),
    ).toMatchObject({ kind: 'malformed_reply' });
  });
});

describe('Service Quotas', () => {
  const quotas = () =>
    createServiceQuotasClient({
      region: 'us-east-1',
      endpoint: providers.endpoints.AWS_ENDPOINT_URL_SERVICE_QUOTAS,
      credentials: localAwsCredentials,
    });

  it('pages through the EC2 quotas and keeps the GPU ones', async () => {
    const pages = await collect(fetchServiceQuotaPages(quotas(), { MaxResults: 3 }, fastRetry));
    expect(pages).toHaveLength(3);
    const observations = pages.flatMap((p) => gpuQuotaObservations(p.Quotas ?? [], { region: 'us-east-1', observedAt }));
    expect(observations.map((o) => [o.quotaCode, o.purchase, o.limitVcpus])).toEqual([
      ['L-417A185B', 'on-demand', 384],
      ['L-DB2E81BA', 'on-demand', 96],
      ['L-7212CCBC', 'spot', 192],
      ['L-3819A6DF', 'spot', 64],
    ]);
    expect(observations[0]!.maxInstances['p5.48xlarge']).toBe(2);
  });

  it('retries TooManyRequestsException, gives up on a persistent 500, refuses a malformed body', async () => {
    providers.controls.throttle('aws-service-quotas', 1);
    expect(await collect(fetchServiceQuotaPages(quotas(), {}, fastRetry))).toHaveLength(1);
    providers.controls.fail('aws-service-quotas', 'always');
    expect(await failureOf(() => collect(fetchServiceQuotaPages(quotas(), {}, fastRetry)))).toMatchObject({
      kind: 'unavailable',
      status: 502,
    });
    providers.controls.reset();
    providers.controls.malformed('aws-service-quotas', 1);
    expect(await failureOf(() => collect(fetchServiceQuotaPages(quotas(), {}, fastRetry)))).toMatchObject({ kind: 'malformed_reply' });
  });
});
