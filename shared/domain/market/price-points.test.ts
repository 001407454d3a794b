import { describe, expect, it } from 'vitest';
import {
  gcpMoneyAmount,
  pricePointFromAzureRetailItem,
  pricePointsFromAwsPriceList,
  pricePointsFromGcpSku,
  spotPricePointsFromEc2,
} from './price-points.js';
import { formatDecimal } from '../core/money.js';
import { ProviderError } from '../providers/provider-errors.js';

describe('spotPricePointsFromEc2', () => {
  it('reads spot prices of GPU instance types, per GPU', () => {
    const points = spotPricePointsFromEc2(
      [
        {
          Timestamp: new Date('2026-11-20T04:32:53.000Z'),
          ProductDescription: 'Linux/UNIX (Amazon VPC)',
          InstanceType: 'p5.48xlarge',
          SpotPrice: '23.670000',
          AvailabilityZone: 'us-east-1a',
        },
        {
          Timestamp: '2026-11-20T04:00:00.000Z',
          ProductDescription: 'Linux/UNIX',
          InstanceType: 'm7i.large',
          SpotPrice: '0.04',
          AvailabilityZone: 'us-east-1a',
        },
      ],
      { region: 'us-east-1' },
    );
    expect(points).toEqual([
      {
        key: 'aws#us-east-1#us-east-1a#p5.48xlarge#spot#-#Linux/UNIX (Amazon VPC)#2026-11-20T04:32:53.000Z',
        provider: 'aws',
        region: 'us-east-1',
        zone: 'us-east-1a',
        instanceType: 'p5.48xlarge',
        sku: null,
        gpuModel: 'H100',
        gpuCount: 8,
        pricingCategory: 'spot',
        term: null,
        variant: 'Linux/UNIX (Amazon VPC)',
        pricePerHour: '23.67',
        // 23.67 / 8 = 2.95875
        pricePerGpuHour: '2.95875',
        currency: 'USD',
        observedAt: '2026-11-20T04:32:53.000Z',
        source: 'ec2:DescribeSpotPriceHistory',
      },
    ]);
  });

  it('refuses malformed items', () => {
    expect(() =>
      spotPricePointsFromEc2([{ InstanceType: 'p5.48xlarge', SpotPrice: 'x', AvailabilityZone: 'a', Timestamp: '2026-11-20T00:00:00Z' }], {
        region: 'r',
      }),
    ).toThrow(ProviderError);
    expect(() =>
      spotPricePointsFromEc2([{ InstanceType: 'p5.48xlarge', SpotPrice: '-1', AvailabilityZone: 'a', Timestamp: '2026-11-20T00:00:00Z' }], {
        region: 'r',
      }),
    ).toThrow(/non-negative/);
    expect(() =>
      spotPricePointsFromEc2([{ InstanceType: 'p5.48xlarge', SpotPrice: '1', AvailabilityZone: 'a', Timestamp: 'soon' }], { region: 'r' }),
    ).toThrow(/Timestamp/);
  });
});

const priceListEntry = JSON.stringify({
  product: {
    productFamily: 'Compute Instance',
    sku: 'ABC123',
    attributes: {
      instanceType: 'p5.48xlarge',
      regionCode: 'us-east-1',
      operatingSystem: 'Linux',
      tenancy: 'Shared',
      preInstalledSw: 'NA',
      capacitystatus: 'Used',
      gpu: '8',
    },
  },
  serviceCode: 'AmazonEC2',
  terms: {
    OnDemand: {
      'ABC123.JRTCKXETXF': {
        effectiveDate: '2025-06-01T00:00:00Z',
        priceDimensions: {
          'ABC123.JRTCKXETXF.6YS6EN2CT7': {
            unit: 'Hrs',
            pricePerUnit: { USD: '55.0400000000' },
            description: '$55.04 per On Demand Linux p5.48xlarge Instance Hour',
          },
        },
        termAttributes: {},
      },
    },
    Reserved: {
      'ABC123.4NA7Y494T4': {
        effectiveDate: '2025-06-01T00:00:00Z',
        termAttributes: { LeaseContractLength: '1yr', OfferingClass: 'standard', PurchaseOption: 'Partial Upfront' },
        priceDimensions: {
          'ABC123.4NA7Y494T4.2TG2D8R56U': { unit: 'Quantity', pricePerUnit: { USD: '175200' }, description: 'Upfront Fee' },
          'ABC123.4NA7Y494T4.6YS6EN2CT7': { unit: 'Hrs', pricePerUnit: { USD: '20.0000000000' } },
        },
      },
    },
  },
});

describe('pricePointsFromAwsPriceList', () => {
  it('reads on-demand and reserved prices (upfront spread over the term)', () => {
    const [onDemand, reserved] = pricePointsFromAwsPriceList(priceListEntry);
    expect(onDemand).toMatchObject({
      key: 'aws#us-east-1#-#p5.48xlarge#on-demand#-#Linux#2025-06-01T00:00:00.000Z',
      pricingCategory: 'on-demand',
      pricePerHour: '55.04',
      pricePerGpuHour: '6.88',
      sku: 'ABC123',
      gpuModel: 'H100',
      source: 'pricing:GetProducts',
    });
    // 175200 / 8760 = 20, plus 20 an hour = 40; per GPU 5.
    expect(reserved).toMatchObject({
      pricingCategory: 'reserved',
      term: '1yr',
      variant: 'standard/Partial Upfront',
      pricePerHour: '40',
      pricePerGpuHour: '5',
    });
  });

  it('skips what is not Linux, shared tenancy or a GPU type', () => {
    const windows = JSON.parse(priceListEntry);
    windows.product.attributes.operatingSystem = 'Windows';
    expect(pricePointsFromAwsPriceList(JSON.stringify(windows))).toEqual([]);
    const m7 = JSON.parse(priceListEntry);
    m7.product.attributes.instanceType = 'm7i.large';
    expect(pricePointsFromAwsPriceList(m7)).toEqual([]);
    expect(() => pricePointsFromAwsPriceList('{"product":')).toThrow(/not JSON/);
  });
});

describe('pricePointFromAzureRetailItem', () => {
  const base = {
    currencyCode: 'USD',
    retailPrice: 98.32,
    unitPrice: 98.32,
    armRegionName: 'eastus',
    effectiveStartDate: '2026-01-01T00:00:00Z',
    meterName: 'ND96isr H100 v5',
    skuName: 'ND96isr H100 v5',
    productName: 'ND H100 v5 Series',
    serviceName: 'Virtual Machines',
    unitOfMeasure: '1 Hour',
    type: 'Consumption',
    armSkuName: 'Standard_ND96isr_H100_v5',
    skuId: 'DZH318Z0BQ4L/00XK',
  };

  it('reads on-demand, spot and reservation prices', () => {
    expect(pricePointFromAzureRetailItem(base)).toMatchObject({
      key: 'azure#eastus#-#Standard_ND96isr_H100_v5#on-demand#-#Linux#2026-01-01T00:00:00.000Z',
      pricingCategory: 'on-demand',
      pricePerHour: '98.32',
      pricePerGpuHour: '12.29',
      gpuModel: 'H100',
      gpuCount: 8,
    });
    expect(
      pricePointFromAzureRetailItem({ ...base, skuName: 'ND96isr H100 v5 Spot', meterName: 'ND96isr H100 v5 Spot', retailPrice: 39.328 }),
    ).toMatchObject({
      pricingCategory: 'spot',
      pricePerHour: '39.328',
      pricePerGpuHour: '4.916',
    });
    // 509488 for one year over 8760 hours = 58.160730593607 an hour; per GPU 7.270091324201 (rounded half-even).
    expect(pricePointFromAzureRetailItem({ ...base, type: 'Reservation', reservationTerm: '1 Year', retailPrice: 509488 })).toMatchObject({
      pricingCategory: 'reserved',
      term: '1yr',
      pricePerHour: '58.160730593607',
      pricePerGpuHour: '7.270091324201',
    });
  });

  it('skips Windows, DevTest, Low Priority and non-GPU items', () => {
    expect(pricePointFromAzureRetailItem({ ...base, productName: 'ND H100 v5 Series Windows' })).toBeNull();
    expect(pricePointFromAzureRetailItem({ ...base, type: 'DevTestConsumption' })).toBeNull();
    expect(pricePointFromAzureRetailItem({ ...base, skuName: 'ND96isr H100 v5 Low Priority' })).toBeNull();
    expect(pricePointFromAzureRetailItem({ ...base, armSkuName: 'Standard_D4s_v5' })).toBeNull();
    expect(() => pricePointFromAzureRetailItem({ ...base, type: 'Reservation', reservationTerm: '5 Years' })).toThrow(/reservationTerm/);
  });
});

describe('pricePointsFromGcpSku', () => {
  const sku = {
    skuId: 'ABCD-1234-EF56',
    description: 'Nvidia H100 80GB GPU running in Americas',
    category: { serviceDisplayName: 'Compute Engine', resourceFamily: 'Compute', resourceGroup: 'GPU', usageType: 'OnDemand' },
    serviceRegions: ['us-central1', 'us-east4'],
    pricingInfo: [
      {
        pricingExpression: {
          usageUnit: 'h',
          baseUnit: 's',
          baseUnitConversionFactor: 3600,
          tieredRates: [{ startUsageAmount: 0, unitPrice: { currencyCode: 'USD', units: '9', nanos: 796550000 } }],
        },
        effectiveTime: '2026-11-01T00:00:00Z',
      },
    ],
  };

  it('reads units + nanos per region', () => {
    const points = pricePointsFromGcpSku(sku);
    expect(points.map((p) => p.region)).toEqual(['us-central1', 'us-east4']);
    expect(points[0]).toMatchObject({
      key: 'gcp#us-central1#-#ABCD-1234-EF56#on-demand#-#-#2026-11-01T00:00:00.000Z',
      gpuModel: 'H100',
      gpuCount: 1,
      pricePerHour: '9.79655',
      pricePerGpuHour: '9.79655',
    });
  });

  it('reads spot and commitment SKUs, protobuf timestamps and per-second units', () => {
    const spot = pricePointsFromGcpSku({
      ...sku,
      description: 'Spot Preemptible Nvidia H100 80GB GPU running in Americas',
      category: { ...sku.category, usageType: 'Preemptible' },
      pricingInfo: [{ ...sku.pricingInfo[0]!, effectiveTime: { seconds: '1793491200', nanos: 0 } }],
    });
    expect(spot[0]).toMatchObject({ pricingCategory: 'spot', observedAt: '2026-11-01T00:00:00.000Z' });
    const commit = pricePointsFromGcpSku({
      ...sku,
      description: 'Commitment v1: Nvidia H100 80GB GPU running in Americas for 1 Year',
      category: { ...sku.category, usageType: 'Commit1Yr' },
    });
    expect(commit[0]).toMatchObject({ pricingCategory: 'reserved', term: '1yr' });
    const perSecond = pricePointsFromGcpSku({
      ...sku,
      pricingInfo: [
        {
          ...sku.pricingInfo[0]!,
          pricingExpression: {
            usageUnit: 's',
            tieredRates: [{ startUsageAmount: 0, unitPrice: { currencyCode: 'USD', units: '0', nanos: 2721 } }],
          },
        },
      ],
    });
    // 0.000002721 $/s × 3600 = 0.0097956 $/h
    expect(perSecond[0]!.pricePerHour).toBe('0.0097956');
    expect(pricePointsFromGcpSku({ ...sku, category: { ...sku.category, resourceGroup: 'N1Standard' } })).toEqual([]);
  });

  it('reads money exactly and refuses broken money', () => {
    expect(formatDecimal(gcpMoneyAmount({ units: '9', nanos: 796550000 }, 'p'))).toBe('9.79655');
    expect(formatDecimal(gcpMoneyAmount({ units: 0, nanos: 1 }, 'p'))).toBe('0.000000001');
    expect(() => gcpMoneyAmount({ units: '9.5', nanos: 0 }, 'p')).toThrow(ProviderError);
    expect(() => gcpMoneyAmount({ units: '9', nanos: 1e9 }, 'p')).toThrow(ProviderError);
  });
});
