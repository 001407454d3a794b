import type { EventPublisher } from '../../adapters/events.js';
import type { RetryOptions } from '../../adapters/provider-retry.js';
import type { LedgerConfig } from '../../config.js';
import {
  type CollectorName,
  type CollectorOutcome,
  type CollectorRun,
  type RunProgress,
  type RunSpec,
  collectorNames,
} from '../../domain/providers/collector-runs.js';
import { runCollector } from './run-collector.js';
import type { CloudProvider } from '../../domain/providers/gpu-catalog.js';
import { logger } from '../../logger.js';
import { type CapacityStore, collectAwsCapacity } from './aws-capacity.js';
import { collectAwsCosts } from './aws-costs.js';
import { type PriceStore, collectAwsPrices } from './aws-prices.js';
import { collectAzureCosts } from './azure-costs.js';
import { collectAzurePrices } from './azure-prices.js';
import { type ProviderClients, providerClients } from './clients.js';
import type { CostRecordStore } from './cost-writer.js';
import { collectGcpCosts } from './gcp-costs.js';
import { collectGcpPrices } from './gcp-prices.js';
import { type CollectionPeriodInput, costPeriod, isoDay } from './periods.js';
import { type CollectorRuntime, type CollectorSettings, collectorSettings } from './settings.js';

/**
 * The collectors, by name, and what runs them: each collector run leaves a run record (ok, partial, failed,
 * not-configured), a failed one publishes `collector.failed`, and one collector failing never stops the next.
 *
 *   aws-costs     Cost Explorer            → FOCUS cost records      (trailing LEDGER_AWS_RESTATEMENT_DAYS)
 *   azure-costs   Cost Management Query    → FOCUS cost records      (trailing LEDGER_AZURE_RESTATEMENT_DAYS)
 *   gcp-costs     BigQuery billing export  → FOCUS cost records      (trailing LEDGER_GCP_RESTATEMENT_DAYS)
 *   aws-prices    EC2 spot, Price List     → GPU price points
 *   azure-prices  Retail Prices            → GPU price points
 *   gcp-prices    Cloud Billing Catalog    → GPU price points
 *   aws-capacity  EC2, Service Quotas      → capacity observations
 */
export { collectionPeriodSchema, type CollectionPeriodInput } from './periods.js';
export { collectorSettings, type CollectorSettings } from './settings.js';
export { runSummary } from './run-summary.js';

/** What a scheduled job, the CLI or `npm start` asks for. */
export const collectorTargets = ['aws-costs', 'azure-costs', 'gcp-costs', 'prices', 'capacity', 'all'] as const;
export type CollectorTarget = (typeof collectorTargets)[number];

export const collectorsOfTarget: Record<CollectorTarget, readonly CollectorName[]> = {
  'aws-costs': ['aws-costs'],
  'azure-costs': ['azure-costs'],
  'gcp-costs': ['gcp-costs'],
  prices: ['aws-prices', 'azure-prices', 'gcp-prices'],
  capacity: ['aws-capacity'],
  all: collectorNames,
};

export interface CollectorContext {
  settings: CollectorSettings;
  clients: ProviderClients;
  stores: {
    costs: CostRecordStore;
    prices: PriceStore;
    capacity: CapacityStore;
    runs: { putRun(run: CollectorRun): Promise<void> };
  };
  events: Pick<EventPublisher, 'publish'>;
  /** Wall clock, for run records (start, duration). */
  now?: () => Date;
  /** The providers' present: default periods, the resource window, spot look-back, capacity time. Defaults to `now`. */
  asOf?: () => Date;
  warn?: (message: string, details: Record<string, unknown>) => void;
  /** Retry policy of the provider calls (tests make it fast). */
  retry?: RetryOptions;
}

/** How far back a price run reads spot price changes (the price in effect then comes with them). */
export const SPOT_LOOKBACK_MS = 6 * 3_600_000;

type Planned = {
  provider: CloudProvider;
  period: { start: string; end: string };
  configured: RunSpec['configured'];
  work: (progress: RunProgress) => Promise<CollectorOutcome>;
};

function plan(name: CollectorName, c: CollectorContext, input: CollectionPeriodInput, asOf: Date): Planned {
  const { aws, azure, gcp } = c.settings;
  const retry = c.retry ? { retry: c.retry } : {};
  const instant = { start: asOf.toISOString(), end: asOf.toISOString() };
  switch (name) {
    case 'aws-costs': {
      const period = costPeriod(input, asOf, aws.restatementDays);
      const settings = {
        billingAccountId: aws.billingAccountId ?? '',
        billingAccountName: aws.billingAccountName,
        costTags: aws.costTags,
        resourceDays: aws.resourceDays,
      };
      return {
        provider: 'aws',
        period,
        configured: aws.configured.costs,
        work: (progress) =>
          collectAwsCosts({
            client: c.clients.costExplorer(),
            settings,
            period,
            today: isoDay(asOf.getTime()),
            store: c.stores.costs,
            progress,
            ...retry,
          }),
      };
    }
    case 'azure-costs': {
      const period = costPeriod(input, asOf, azure.restatementDays);
      return {
        provider: 'azure',
        period,
        configured: azure.configured.costs,
        work: (progress) =>
          collectAzureCosts({
            client: c.clients.costManagement(),
            scopes: azure.scopes,
            costTags: azure.costTags,
            period,
            store: c.stores.costs,
            progress,
            ...retry,
          }),
      };
    }
    case 'gcp-costs': {
      const period = costPeriod(input, asOf, gcp.restatementDays);
      return {
        provider: 'gcp',
        period,
        configured: gcp.configured.costs,
        work: (progress) =>
          collectGcpCosts({
            client: c.clients.bigQuery(),
            exportTable: gcp.exportTable ?? '',
            billingAccountId: gcp.billingAccountId ?? '',
            location: gcp.location,
            period,
            store: c.stores.costs,
            progress,
            ...retry,
          }),
      };
    }
    case 'aws-prices': {
      const spotSince = new Date(asOf.getTime() - SPOT_LOOKBACK_MS);
      return {
        provider: 'aws',
        period: { start: spotSince.toISOString(), end: instant.end },
        configured: aws.configured.prices,
        work: (progress) =>
          collectAwsPrices({
            ec2: (r) => c.clients.ec2(r),
            pricing: () => c.clients.pricing(),
            regions: aws.regions,
            gpuFamilies: aws.gpuFamilies,
            spotSince,
            store: c.stores.prices,
            progress,
            ...retry,
          }),
      };
    }
    case 'azure-prices':
      return {
        provider: 'azure',
        period: instant,
        configured: azure.configured.prices,
        work: (progress) =>
          collectAzurePrices({ api: c.clients.azureRetailPrices(), regions: azure.regions, store: c.stores.prices, progress, ...retry }),
      };
    case 'gcp-prices':
      return {
        provider: 'gcp',
        period: instant,
        configured: gcp.configured.prices,
        work: (progress) =>
          collectGcpPrices({ client: c.clients.cloudCatalog(), regions: gcp.regions, store: c.stores.prices, progress, ...retry }),
      };
    case 'aws-capacity': {
      // One time for the whole run, to the second: the capacity store compares runs by it.
      const observedAt = `${asOf.toISOString().slice(0, 19)}Z`;
      return {
        provider: 'aws',
        period: { start: observedAt, end: observedAt },
        configured: aws.configured.capacity,
        work: (progress) =>
          collectAwsCapacity({
            ec2: (r) => c.clients.ec2(r),
            serviceQuotas: (r) => c.clients.serviceQuotas(r),
            regions: aws.regions,
            gpuFamilies: aws.gpuFamilies,
            observedAt,
            store: c.stores.capacity,
            progress,
            ...retry,
          }),
      };
    }
  }
}

/** Runs the target's collectors one after the other; each leaves its run record whatever happens. */
export async function runCollectors(
  target: CollectorTarget,
  c: CollectorContext,
  input: CollectionPeriodInput = {},
): Promise<CollectorRun[]> {
  const now = c.now ?? (() => new Date());
  const deps = {
    putRun: (run: CollectorRun) => c.stores.runs.putRun(run),
    publish: (events: Parameters<EventPublisher['publish']>[0]) => c.events.publish(events),
    now,
    warn: c.warn ?? ((message: string, details: Record<string, unknown>) => logger.warn(message, details)),
  };
  const runs: CollectorRun[] = [];
  for (const name of collectorsOfTarget[target]) {
    const planned = plan(name, c, input, (c.asOf ?? now)());
    const spec: RunSpec = {
      collector: name,
      provider: planned.provider,
      periodStart: planned.period.start,
      periodEnd: planned.period.end,
      configured: planned.configured,
    };
    runs.push(await runCollector(deps, spec, planned.work));
  }
  return runs;
}

/** The collector context of a handler or a local command, from the ledger's dependencies. */
/** What collecting needs of the ledger: its configuration, the stores collectors write, and the bus. */
export type CollectorDependencies = { config: LedgerConfig; events: EventPublisher } & CollectorContext['stores'];

export function collectorContext(deps: CollectorDependencies, runtime: CollectorRuntime = {}): CollectorContext {
  const settings = collectorSettings(deps.config, runtime);
  return {
    settings,
    clients: providerClients(settings),
    stores: { costs: deps.costs, prices: deps.prices, capacity: deps.capacity, runs: deps.runs },
    events: deps.events,
  };
}

/** One invocation: build the context, run the target, close the clients. */
export async function collectOnce(
  target: CollectorTarget,
  deps: CollectorDependencies,
  input: CollectionPeriodInput,
  runtime: CollectorRuntime = {},
): Promise<CollectorRun[]> {
  const context = collectorContext(deps, runtime);
  try {
    return await runCollectors(target, context, input);
  } finally {
    await context.clients.close();
  }
}
