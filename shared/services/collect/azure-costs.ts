import type { CostManagementClient, QueryDefinition, QueryGrouping } from '@azure/arm-costmanagement';
import { azureCostQueryDefinition, fetchAzureCostPages } from '../../adapters/azure/cost-management.js';
import type { RetryOptions } from '../../adapters/provider-retry.js';
import type { CollectorOutcome, RunProgress } from '../../domain/providers/collector-runs.js';
import { keyedFocusRecord } from '../../domain/costs/focus.js';
import { joinAzureCostPages } from '../../domain/costs/focus-azure.js';
import { gpuMachineType } from '../../domain/providers/gpu-catalog.js';
import { malformedReply } from '../../domain/providers/provider-errors.js';
import { countedPages } from './counted-pages.js';
import { type CostRecordStore, CostRecordWriter } from './cost-writer.js';
import { runParts } from './parts.js';
import type { CostPeriod } from './periods.js';

/**
 * Azure Cost Management → FOCUS records, per scope (a failing scope does not stop the others): the actual-cost
 * and amortized-cost queries, daily, grouped by resource and pricing model, joined into one record per key
 * (BilledCost from the actual side, EffectiveCost from the amortized side). The Query API takes at most two
 * groupings, so what else describes a resource comes from one more query each over the period: resource ×
 * meter (the meter names the VM size, hence the GPU model) and resource × tag for each configured tag key.
 */
export interface AzureCostCollection {
  client: CostManagementClient;
  scopes: string[];
  /** Tag keys put on each resource's records. */
  costTags?: string[];
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
        const vmSizes = single(await valuesByResource(c, scope, { type: 'Dimension', name: 'Meter' }, 'Meter', vmSizeOfMeter));
        const tags = new Map<string, Record<string, string>>();
        for (const key of c.costTags ?? []) {
          for (const [resource, value] of Object.entries(
            single(await valuesByResource(c, scope, { type: 'TagKey', name: key }, 'TagValue', (v) => v || undefined)),
          )) {
            tags.set(resource, { ...tags.get(resource), [key]: value });
          }
        }
        const pages = (type: 'ActualCost' | 'AmortizedCost') =>
          countedPages(
            fetchAzureCostPages(
              c.client,
              { scope, definition: azureCostQueryDefinition({ type, from: c.period.start, to: c.period.end }) },
              c.retry,
            ),
            c.progress,
          );
        for await (const keyed of joinAzureCostPages(pages('ActualCost'), pages('AmortizedCost'), { billingAccountId, vmSizes })) {
          const resourceTags = keyed.record.ResourceId ? tags.get(keyed.record.ResourceId.toLowerCase()) : undefined;
          // Tags are part of a record's identity: a tagged record gets its own key.
          await writer.add(
            resourceTags ? keyedFocusRecord('azure', { ...keyed.record, Tags: { ...keyed.record.Tags, ...resourceTags } }) : keyed,
          );
        }
        await writer.removeStale('azure', [billingAccountId], c.period);
      },
    })),
  );
  await writer.flush();
  return { failures, totals: writer.totals() };
}

/**
 * Resource id (lower case) → the values one more grouping gives it over the period (granularity None), read
 * from the column `column` by `valueOf`.
 */
async function valuesByResource(
  c: AzureCostCollection,
  scope: string,
  grouping: QueryGrouping,
  column: string,
  valueOf: (value: string) => string | undefined,
): Promise<Map<string, Set<string>>> {
  const base = azureCostQueryDefinition({
    type: 'ActualCost',
    from: c.period.start,
    to: c.period.end,
    grouping: [{ type: 'Dimension', name: 'ResourceId' }, grouping],
  });
  const definition: QueryDefinition = { ...base, dataset: { ...base.dataset, granularity: 'None' } };
  const values = new Map<string, Set<string>>();
  for await (const page of countedPages(fetchAzureCostPages(c.client, { scope, definition }, c.retry), c.progress)) {
    const at = (name: string) => {
      const i = (page.columns ?? []).findIndex((col) => col.name === name);
      if (i < 0)
        throw malformedReply(
          'azure',
          'CostManagement.Query.usage',
          `no ${name} column in the ResourceId × ${grouping.name} query`,
          'properties.columns',
        );
      return i;
    };
    const resourceAt = at('ResourceId');
    const valueAt = at(column);
    for (const row of page.rows ?? []) {
      const resource = row[resourceAt];
      const raw = row[valueAt];
      if (typeof resource !== 'string' || resource === '' || typeof raw !== 'string') continue;
      const value = valueOf(raw);
      const key = resource.toLowerCase();
      const set = values.get(key) ?? new Set<string>();
      if (value !== undefined) set.add(value);
      values.set(key, set);
    }
  }
  return values;
}

/** The resources with exactly one value. */
function single(values: Map<string, Set<string>>): Record<string, string> {
  return Object.fromEntries([...values].filter(([, set]) => set.size === 1).map(([resource, set]) => [resource, [...set][0]!]));
}

/** "ND96isr H100 v5 Spot" → `Standard_ND96isr_H100_v5`, when that is a GPU VM size. */
function vmSizeOfMeter(meter: string): string | undefined {
  const name = meter
    .replace(/\s+(Spot|Low Priority)$/i, '')
    .trim()
    .replace(/\s+/g, '_');
  return gpuMachineType('azure', `Standard_${name}`)?.name;
}
