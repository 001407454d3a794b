import type { CostManagementClient, QueryDefinition } from '@azure/arm-costmanagement';
import { azureCostQueryDefinition, fetchAzureCostPages } from '../adapters/azure/cost-management.js';
import type { RetryOptions } from '../adapters/provider-retry.js';
import type { CollectorOutcome, RunProgress } from '../domain/collector-runs.js';
import { joinAzureCostPages } from '../domain/focus-azure.js';
import { gpuMachineType } from '../domain/gpu-catalog.js';
import { malformedReply } from '../domain/provider-errors.js';
import { countedPages } from './counted-pages.js';
import { type CostRecordStore, CostRecordWriter } from './cost-writer.js';
import { runParts } from './parts.js';
import type { CostPeriod } from './periods.js';

/**
 * Azure Cost Management → FOCUS records, per scope (a failing scope does not stop the others): the actual-cost
 * and amortized-cost queries, daily, grouped by resource and pricing model, joined into one record per key
 * (BilledCost from the actual side, EffectiveCost from the amortized side). The Query API takes at most two
 * groupings, so the meter of each resource comes from a third query (resource × meter over the period) and
 * names the VM size, hence the GPU model, of the resource's records.
 */
export interface AzureCostCollection {
  client: CostManagementClient;
  scopes: string[];
  period: CostPeriod;
  store: CostRecordStore;
  progress: RunProgress;
  retry?: RetryOptions;
}

/** `/subscriptions/<id>` → `<id>`; `/providers/Microsoft.Billing/billingAccounts/<id>[/...]` → `<id>`. */
export function billingAccountOfScope(scope: string): string {
  const subscription = /^\/subscriptions\/([^/]+)/i.exec(scope);
  if (subscription) return subscription[1]!;
  const account = /\/billingAccounts\/([^/]+)/i.exec(scope);
  return account ? account[1]! : scope;
}

export async function collectAzureCosts(c: AzureCostCollection): Promise<CollectorOutcome> {
  const writer = new CostRecordWriter(c.store, c.progress);
  const failures = await runParts(
    c.scopes.map((scope) => ({
      name: scope,
      run: async () => {
        const billingAccountId = billingAccountOfScope(scope);
        const vmSizes = await vmSizesByResource(c, scope);
        const pages = (type: 'ActualCost' | 'AmortizedCost') =>
          countedPages(fetchAzureCostPages(c.client, { scope, definition: azureCostQueryDefinition({ type, from: c.period.start, to: c.period.end }) }, c.retry), c.progress);
        for await (const record of joinAzureCostPages(pages('ActualCost'), pages('AmortizedCost'), { billingAccountId, vmSizes })) await writer.add(record);
        await writer.removeStale('azure', [billingAccountId], c.period);
      },
    })),
  );
  await writer.flush();
  return { failures, totals: writer.totals() };
}

/** Resource id (lower case) → VM size, for resources whose meters name exactly one GPU VM size. */
async function vmSizesByResource(c: AzureCostCollection, scope: string): Promise<Record<string, string>> {
  const base = azureCostQueryDefinition({
    type: 'ActualCost',
    from: c.period.start,
    to: c.period.end,
    grouping: [
      { type: 'Dimension', name: 'ResourceId' },
      { type: 'Dimension', name: 'Meter' },
    ],
  });
  const definition: QueryDefinition = { ...base, dataset: { ...base.dataset, granularity: 'None' } };
  const sizes = new Map<string, Set<string>>();
  for await (const page of countedPages(fetchAzureCostPages(c.client, { scope, definition }, c.retry), c.progress)) {
    const at = (name: string) => {
      const i = (page.columns ?? []).findIndex((column) => column.name === name);
      if (i < 0) throw malformedReply('azure', 'CostManagement.Query.usage', `no ${name} column in the resource × meter query`, 'properties.columns');
      return i;
    };
    const resourceAt = at('ResourceId');
    const meterAt = at('Meter');
    for (const row of page.rows ?? []) {
      const resource = row[resourceAt];
      const meter = row[meterAt];
      if (typeof resource !== 'string' || resource === '' || typeof meter !== 'string') continue;
      const size = vmSizeOfMeter(meter);
      const key = resource.toLowerCase();
      const set = sizes.get(key) ?? new Set<string>();
      if (size) set.add(size);
      sizes.set(key, set);
    }
  }
  return Object.fromEntries([...sizes].filter(([, set]) => set.size === 1).map(([resource, set]) => [resource, [...set][0]!]));
}

/** "ND96isr H100 v5 Spot" → `Standard_ND96isr_H100_v5`, when that is a GPU VM size. */
function vmSizeOfMeter(meter: string): string | undefined {
  const name = meter.replace(/\s+(Spot|Low Priority)$/i, '').trim().replace(/\s+/g, '_');
  return gpuMachineType('azure', `Standard_${name}`)?.name;
}
