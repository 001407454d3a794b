import type { EC2Client } from '@aws-sdk/client-ec2';
import type { PricingClient } from '@aws-sdk/client-pricing';
import { fetchSpotPriceHistoryPages } from '../../adapters/aws/ec2.js';
import { ec2GpuPriceFilters, fetchAwsPriceListPages } from '../../adapters/aws/pricing.js';
import type { RetryOptions } from '../../adapters/provider-retry.js';
import type { CollectorOutcome, RunProgress } from '../../domain/providers/collector-runs.js';
import { gpuMachineTypes } from '../../domain/providers/gpu-catalog.js';
import { type GpuPricePoint, pricePointsFromAwsPriceList, spotPricePointsFromEc2 } from '../../domain/market/price-points.js';
import { countedPages } from './counted-pages.js';
import { runParts } from './parts.js';

/**
 * AWS GPU prices per configured region: spot prices (DescribeSpotPriceHistory since `spotSince`, Linux) and the
 * Price List's on-demand and reserved prices (GetProducts, one GPU instance type at a time). Each region's
 * spot prices and price list are separate parts: one failing does not stop the others.
 */
export interface PriceStore {
  putPoints(points: readonly GpuPricePoint[]): Promise<void>;
}

export interface AwsPriceCollection {
  ec2(region: string): EC2Client;
  pricing(): PricingClient;
  regions: string[];
  gpuFamilies: string[];
  /** Spot prices from this time on (the price in effect then, and every change since). */
  spotSince: Date;
  store: PriceStore;
  progress: RunProgress;
  retry?: RetryOptions;
}

/** GPU instance types of the given families (`p5` → p5.4xlarge, p5.48xlarge; not p5e). */
export function awsGpuInstanceTypes(families: readonly string[]): string[] {
  return gpuMachineTypes('aws')
    .filter((type) => families.some((family) => type.name.startsWith(`${family}.`)))
    .map((type) => type.name);
}

export async function collectAwsPrices(c: AwsPriceCollection): Promise<CollectorOutcome> {
  const types = awsGpuInstanceTypes(c.gpuFamilies);
  const put = async (points: GpuPricePoint[]) => {
    if (points.length === 0) return;
    await c.store.putPoints(points);
    c.progress.rows(points.length);
  };
  const failures = await runParts(
    c.regions.flatMap((region) => [
      {
        name: `${region} spot prices`,
        run: async () => {
          const input = { InstanceTypes: types as never[], ProductDescriptions: ['Linux/UNIX'], StartTime: c.spotSince };
          for await (const page of countedPages(fetchSpotPriceHistoryPages(c.ec2(region), input, c.retry), c.progress)) {
            await put(spotPricePointsFromEc2(page.SpotPriceHistory ?? [], { region }));
          }
        },
      },
      {
        name: `${region} price list`,
        run: async () => {
          for (const type of types) {
            for await (const page of countedPages(
              fetchAwsPriceListPages(c.pricing(), { Filters: ec2GpuPriceFilters(type, region) }, c.retry),
              c.progress,
            )) {
              await put(page.PriceList.flatMap((entry, i) => pricePointsFromAwsPriceList(entry, i)));
            }
          }
        },
      },
    ]),
  );
  return { failures };
}
