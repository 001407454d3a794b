import type { CloudCatalogClient } from '@google-cloud/billing';
import { fetchGcpSkuPages } from '../../adapters/gcp/cloud-catalog.js';
import type { RetryOptions } from '../../adapters/provider-retry.js';
import type { CollectorOutcome, RunProgress } from '../../domain/providers/collector-runs.js';
import { pricePointsFromGcpSku } from '../../domain/market/price-points.js';
import type { PriceStore } from './aws-prices.js';
import { countedPages } from './counted-pages.js';

/**
 * Google Cloud Billing Catalog → GPU price points: every Compute Engine GPU SKU (on-demand, spot, committed),
 * one point per service region, kept for the configured regions (all when none are configured).
 */
export interface GcpPriceCollection {
  client: CloudCatalogClient;
  regions: string[];
  store: PriceStore;
  progress: RunProgress;
  retry?: RetryOptions;
}

export async function collectGcpPrices(c: GcpPriceCollection): Promise<CollectorOutcome> {
  const wanted = new Set(c.regions);
  for await (const page of countedPages(fetchGcpSkuPages(c.client, {}, c.retry), c.progress)) {
    const points = page.skus.flatMap((sku, i) => pricePointsFromGcpSku(sku, i)).filter((p) => wanted.size === 0 || wanted.has(p.region));
    if (points.length === 0) continue;
    await c.store.putPoints(points);
    c.progress.rows(points.length);
  }
  return {};
}
