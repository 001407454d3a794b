import { type AzureRetailPricesSettings, azureGpuPriceFilter, fetchAzureRetailPricePages } from '../../adapters/azure/retail-prices.js';
import type { RetryOptions } from '../../adapters/provider-retry.js';
import type { CollectorOutcome, RunProgress } from '../../domain/providers/collector-runs.js';
import { gpuMachineTypes } from '../../domain/providers/gpu-catalog.js';
import { pricePointFromAzureRetailItem } from '../../domain/market/price-points.js';
import type { PriceStore } from './aws-prices.js';
import { countedPages } from './counted-pages.js';
import { runParts } from './parts.js';

/**
 * Azure Retail Prices (public, no credentials) → GPU price points: the Linux on-demand, spot and reservation
 * prices of every GPU VM size of the catalog, one region at a time (a failing region does not stop the others).
 */
export interface AzurePriceCollection {
  api: AzureRetailPricesSettings;
  regions: string[];
  store: PriceStore;
  progress: RunProgress;
  retry?: RetryOptions;
}

export async function collectAzurePrices(c: AzurePriceCollection): Promise<CollectorOutcome> {
  const sizes = gpuMachineTypes('azure').map((type) => type.name);
  const failures = await runParts(
    c.regions.map((region) => ({
      name: `${region} retail prices`,
      run: async () => {
        for await (const page of countedPages(
          fetchAzureRetailPricePages(c.api, { filter: azureGpuPriceFilter(region, sizes) }, c.retry),
          c.progress,
        )) {
          const points = page.Items.map((item, i) => pricePointFromAzureRetailItem(item, i)).filter((p) => p !== null);
          if (points.length === 0) continue;
          await c.store.putPoints(points);
          c.progress.rows(points.length);
        }
      },
    })),
  );
  return { failures };
}
