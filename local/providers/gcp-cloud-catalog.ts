import type { GpuModel } from '../../shared/domain/providers/gpu-catalog.js';
import { type Decimal, multiplyDecimal, parseDecimal, roundDecimal } from '../../shared/domain/core/money.js';
import type { FaultControls } from './faults.js';
import { type Reply, type ServiceHandler, decodeToken, encodeToken, json } from './http.js';
import { type SimulatedOrganization, gcpGpuRate, gcpGpuSkuDescription, gcpOrganization, noise } from './simulation.js';

/**
 * Google Cloud Billing Catalog (`GET /v1/services/{service}/skus`, the REST form of services.skus.list):
 * proto3 JSON (int64 `units` as strings, `nanos` as numbers), `nextPageToken` ("" on the last page),
 * Google JSON errors (`{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}`).
 */
const locations: Record<string, string[]> = {
  Americas: ['us-central1', 'us-east4', 'us-west1'],
  EMEA: ['europe-west4'],
};

export function googleError(code: number, status: string, message: string): Reply {
  return json(code, { error: { code, message, status } });
}

function money(value: Decimal) {
  const nanosTotal = roundDecimal(value, 9) / 1000n; // units of 1e-9
  const units = nanosTotal / 1_000_000_000n;
  const nanos = Number(nanosTotal % 1_000_000_000n);
  return { currencyCode: 'USD', units: units.toString(), nanos };
}

function skuId(description: string): string {
  const part = (salt: string) =>
    Math.floor(noise(salt, description) * 0xffff)
      .toString(16)
      .toUpperCase()
      .padStart(4, '0');
  return `${part('a')}-${part('b')}-${part('c')}`;
}

export function catalogSkus(organization: SimulatedOrganization): unknown[] {
  const now = new Date(organization.now);
  const effectiveTime = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  const models: GpuModel[] = ['H100', 'H200', 'A100-40GB', 'A100-80GB', 'L4', 'T4'];
  const skus: unknown[] = [];
  const add = (description: string, resourceGroup: string, usageType: string, regions: string[], price: Decimal) =>
    skus.push({
      name: `services/${gcpOrganization.computeServiceId}/skus/${skuId(description)}`,
      skuId: skuId(description),
      description,
      category: { serviceDisplayName: 'Compute Engine', resourceFamily: 'Compute', resourceGroup, usageType },
      serviceRegions: regions,
      pricingInfo: [
        {
          summary: '',
          pricingExpression: {
            usageUnit: 'h',
            displayQuantity: 1,
            tieredRates: [{ startUsageAmount: 0, unitPrice: money(price) }],
            usageUnitDescription: 'hour',
            baseUnit: 's',
            baseUnitDescription: 'second',
            baseUnitConversionFactor: 3600,
          },
          aggregationInfo: { aggregationLevel: 'ACCOUNT', aggregationInterval: 'DAILY', aggregationCount: 1 },
          currencyConversionRate: 1,
          effectiveTime,
        },
      ],
      serviceProviderName: 'Google',
      geoTaxonomy: { type: regions.length > 1 ? 'MULTI_REGIONAL' : 'REGIONAL', regions },
    });
  for (const [location, regions] of Object.entries(locations)) {
    for (const model of models) {
      const list = gcpGpuRate(model);
      const onDemand = gcpGpuSkuDescription(model, 'on-demand', regions[0]!);
      add(onDemand, 'GPU', 'OnDemand', regions, list);
      add(
        gcpGpuSkuDescription(model, 'spot', regions[0]!),
        'GPU',
        'Preemptible',
        regions,
        roundDecimal(multiplyDecimal(list, organization.gcpSpotFactor(model)), 6),
      );
      if (model === 'H100' || model === 'A100-80GB') {
        add(
          `Commitment v1: ${onDemand.replace(/ running in .*/, '')} in ${location} for 1 Year`,
          'GPU',
          'Commit1Yr',
          regions,
          roundDecimal(multiplyDecimal(list, parseDecimal('0.63')), 6),
        );
      }
    }
    add(`A3 Instance Core running in ${location}`, 'CPU', 'OnDemand', regions, parseDecimal('0.0318'));
    add(`A3 Instance Ram running in ${location}`, 'RAM', 'OnDemand', regions, parseDecimal('0.0042'));
  }
  return skus;
}

export function cloudCatalogService(organization: SimulatedOrganization, faults: FaultControls): ServiceHandler {
  const skus = catalogSkus(organization);
  return (request): Reply => {
    const match = /^\/v1\/services\/([^/]+)\/skus$/.exec(request.url.pathname);
    if (request.method !== 'GET' || !match) return googleError(404, 'NOT_FOUND', `No route ${request.method} ${request.url.pathname}`);
    if (!request.headers.authorization)
      return googleError(401, 'UNAUTHENTICATED', 'Request is missing required authentication credential.');
    const fault = faults.next('gcp-cloud-catalog');
    if (fault?.kind === 'throttle')
      return googleError(
        429,
        'RESOURCE_EXHAUSTED',
        "Quota exceeded for quota metric 'Read requests' of service 'cloudbilling.googleapis.com'.",
      );
    if (fault?.kind === 'fail') return googleError(500, 'INTERNAL', 'Internal error encountered.');
    if (fault?.kind === 'malformed')
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        body: '{"skus":[{"name":"services/6F81-5844-456A/skus/ABCD","skuId":',
      };
    if (decodeURIComponent(match[1]!) !== gcpOrganization.computeServiceId)
      return googleError(404, 'NOT_FOUND', `Service ${match[1]} not found.`);
    const currency = request.url.searchParams.get('currencyCode') ?? 'USD';
    if (currency !== 'USD') return googleError(400, 'INVALID_ARGUMENT', 'The local provider server prices in USD only.');
    const pageSize = Number(request.url.searchParams.get('pageSize') ?? '5000') || 5000;
    let offset = 0;
    const pageToken = request.url.searchParams.get('pageToken');
    if (pageToken) {
      const token = decodeToken<{ o: number }>(pageToken);
      if (!token || !Number.isInteger(token.o)) return googleError(400, 'INVALID_ARGUMENT', 'Invalid page token.');
      offset = token.o;
    }
    const slice = skus.slice(offset, offset + pageSize);
    return json(200, { skus: slice, nextPageToken: offset + pageSize < skus.length ? encodeToken({ o: offset + pageSize }) : '' });
  };
}
