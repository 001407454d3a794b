import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { fetchCapacityReservationPages, fetchSpotPlacementScorePages } from '../../adapters/aws/ec2.js';
import { fetchServiceQuotaPages } from '../../adapters/aws/service-quotas.js';
import type { RetryOptions } from '../../adapters/provider-retry.js';
import {
  type CapacityObservation,
  capacityReservationObservations,
  gpuQuotaObservations,
  spotPlacementScoreObservations,
} from '../../domain/market/capacity.js';
import type { CollectorOutcome, RunProgress } from '../../domain/providers/collector-runs.js';
import { gpuMachineType } from '../../domain/providers/gpu-catalog.js';
import { awsGpuInstanceTypes } from './aws-prices.js';
import { countedPages } from './counted-pages.js';
import { runParts } from './parts.js';

/**
 * AWS GPU capacity: capacity reservations and Capacity Blocks, and the GPU instance quotas, per configured
 * region; spot placement scores per GPU model (its instance types of the configured families, one instance)
 * across the regions, per Availability Zone. Every observation of a run carries the run's `observedAt`, so
 * the capacity store can tell a subject the newest run no longer saw.
 */
export interface CapacityStore {
  putObservations(observations: readonly CapacityObservation[]): Promise<void>;
}

export interface AwsCapacityCollection {
  ec2(region: string): EC2Client;
  serviceQuotas(region: string): ServiceQuotasClient;
  regions: string[];
  gpuFamilies: string[];
  observedAt: string;
  store: CapacityStore;
  progress: RunProgress;
  retry?: RetryOptions;
}

export async function collectAwsCapacity(c: AwsCapacityCollection): Promise<CollectorOutcome> {
  const put = async (observations: CapacityObservation[]) => {
    if (observations.length === 0) return;
    await c.store.putObservations(observations);
    c.progress.rows(observations.length);
  };
  const byModel = new Map<string, string[]>();
  for (const name of awsGpuInstanceTypes(c.gpuFamilies)) {
    const model = gpuMachineType('aws', name)!.gpuModel;
    byModel.set(model, [...(byModel.get(model) ?? []), name]);
  }
  const { observedAt } = c;
  const failures = await runParts([
    ...c.regions.map((region) => ({
      name: `${region} capacity reservations`,
      run: async () => {
        const found: CapacityObservation[] = [];
        for await (const page of countedPages(fetchCapacityReservationPages(c.ec2(region), {}, c.retry), c.progress)) {
          found.push(...capacityReservationObservations(page.CapacityReservations ?? [], { region, observedAt }));
        }
        await put(found);
      },
    })),
    ...c.regions.map((region) => ({
      name: `${region} GPU quotas`,
      run: async () => {
        const found: CapacityObservation[] = [];
        for await (const page of countedPages(fetchServiceQuotaPages(c.serviceQuotas(region), {}, c.retry), c.progress)) {
          found.push(...gpuQuotaObservations(page.Quotas ?? [], { region, observedAt }));
        }
        await put(found);
      },
    })),
    ...(c.regions.length === 0
      ? []
      : [...byModel].map(([model, instanceTypes]) => ({
          name: `${model} spot placement scores`,
          run: async () => {
            const input = {
              InstanceTypes: instanceTypes as never[],
              TargetCapacity: 1,
              SingleAvailabilityZone: true,
              RegionNames: c.regions,
            };
            const found: CapacityObservation[] = [];
            for await (const page of countedPages(fetchSpotPlacementScorePages(c.ec2(c.regions[0]!), input, c.retry), c.progress)) {
              found.push(
                ...spotPlacementScoreObservations(page.SpotPlacementScores ?? [], { instanceTypes, targetCapacity: 1, observedAt }),
              );
            }
            await put(found);
          },
        }))),
  ]);
  return { failures };
}
