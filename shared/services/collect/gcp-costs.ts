import type { BigQuery } from '@google-cloud/bigquery';
import { fetchBigQueryPages, gcpBillingExportQuery } from '../../adapters/gcp/bigquery-billing.js';
import type { RetryOptions } from '../../adapters/provider-retry.js';
import type { CollectorOutcome, RunProgress } from '../../domain/providers/collector-runs.js';
import { normalizeGcpBillingPages } from '../../domain/costs/focus-gcp.js';
import { countedPages } from './counted-pages.js';
import { type CostRecordStore, CostRecordWriter } from './cost-writer.js';
import type { CostPeriod } from './periods.js';

/**
 * Google Cloud billing export (BigQuery) → FOCUS records: one parameterized query for the period (rows summed
 * per day and identifying dimensions, credits folded into EffectiveCost), read page by page and written in
 * groups, so no more than one result page and one group are held whatever the export's size.
 */
export interface GcpCostCollection {
  client: BigQuery;
  exportTable: string;
  /** The billing account of the export: its records are replaced when the run completes. */
  billingAccountId: string;
  location?: string | undefined;
  period: CostPeriod;
  store: CostRecordStore;
  progress: RunProgress;
  retry?: RetryOptions;
}

export async function collectGcpCosts(c: GcpCostCollection): Promise<CollectorOutcome> {
  const writer = new CostRecordWriter(c.store, c.progress);
  const query = gcpBillingExportQuery({
    table: c.exportTable,
    start: c.period.start,
    end: c.period.end,
    ...(c.location ? { location: c.location } : {}),
  });
  const accounts = new Set([c.billingAccountId]);
  for await (const record of normalizeGcpBillingPages(countedPages(fetchBigQueryPages(c.client, query, c.retry), c.progress))) {
    accounts.add(record.key.billingAccountId);
    await writer.add(record);
  }
  await writer.removeStale('gcp', accounts, c.period);
  return { totals: writer.totals() };
}
