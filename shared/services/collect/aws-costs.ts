import type { CostExplorerClient, Expression, GroupDefinition } from '@aws-sdk/client-cost-explorer';
import {
  type AwsCostQuery,
  type AwsResourceCostQuery,
  awsCostMetrics,
  fetchAwsCostPages,
  fetchAwsResourceCostPages,
} from '../../adapters/aws/cost-explorer.js';
import type { RetryOptions } from '../../adapters/provider-retry.js';
import type { CollectorOutcome, RunProgress } from '../../domain/providers/collector-runs.js';
import { type AwsCostAndUsagePage, awsChargeCategory, awsPricingCategory, normalizeAwsCostPages } from '../../domain/costs/focus-aws.js';
import { type FocusRecord, keyedFocusRecord } from '../../domain/costs/focus.js';
import { gpuMachineType } from '../../domain/providers/gpu-catalog.js';
import { malformedReply } from '../../domain/providers/provider-errors.js';
import { countedPages } from './counted-pages.js';
import { type CostRecordStore, CostRecordWriter } from './cost-writer.js';
import { runParts } from './parts.js';
import { type CostPeriod, isoDay } from './periods.js';
import { DAY_MS } from '../../domain/core/utc-time.js';

/**
 * AWS Cost Explorer → FOCUS records, daily, by linked account, region, record type (usage, fee, tax, credit
 * ...), purchase type (on-demand, spot, reserved ...), the configured cost allocation tags, service and usage
 * type; and by resource for the days GetCostAndUsageWithResources offers.
 *
 * Cost Explorer groups by at most two dimensions per request, so the collection splits: discovery requests
 * (monthly, two dimensions at a time) find which account × region × record type × purchase type (× tag value)
 * slices have costs, then one daily request per slice, filtered to it, groups by SERVICE and USAGE_TYPE. Every
 * slice's records carry its filter values, and the slices do not overlap, so the records add up to the bill
 * exactly. For days within the resource window the resource services (EC2 compute) are requested per resource
 * instead (GROUP BY USAGE_TYPE, RESOURCE_ID), the rest of the slice as above.
 *
 * Requests per window: 1 + (account × region pairs) discovery requests, one more per slice for each further
 * pair of tag keys, then 1 per slice (2 in the resource window). Cost Explorer charges per request, so each tag
 * key multiplies the cost by its number of values.
 */
export interface AwsCostSettings {
  billingAccountId: string;
  billingAccountName: string | null;
  costTags: string[];
  /** Trailing days (today included) collected per resource; 0 for none. */
  resourceDays: number;
}

/** Services collected per resource inside the resource window. */
export const awsResourceServices = ['Amazon Elastic Compute Cloud - Compute'];

type Split = { type: 'DIMENSION'; key: 'LINKED_ACCOUNT' | 'REGION' | 'RECORD_TYPE' | 'PURCHASE_TYPE' } | { type: 'TAG'; key: string };
interface SliceValue {
  split: Split;
  value: string;
}
interface Slice {
  values: SliceValue[];
}

const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);

export interface AwsCostCollection {
  client: CostExplorerClient;
  settings: AwsCostSettings;
  period: CostPeriod;
  /** The provider's today (UTC day), for the resource window. */
  today: string;
  store: CostRecordStore;
  progress: RunProgress;
  retry?: RetryOptions;
}

export async function collectAwsCosts(c: AwsCostCollection): Promise<CollectorOutcome> {
  const writer = new CostRecordWriter(c.store, c.progress);
  const accountNames = new Map<string, string>();
  const splits: Split[] = [
    { type: 'DIMENSION', key: 'LINKED_ACCOUNT' },
    { type: 'DIMENSION', key: 'REGION' },
    { type: 'DIMENSION', key: 'RECORD_TYPE' },
    { type: 'DIMENSION', key: 'PURCHASE_TYPE' },
    ...c.settings.costTags.map((key) => ({ type: 'TAG' as const, key })),
  ];
  const resourceStart = c.settings.resourceDays > 0 ? isoDay(dayMs(c.today) - (c.settings.resourceDays - 1) * DAY_MS) : c.period.end;
  const windows = [
    { start: c.period.start, end: minDay(c.period.end, resourceStart), perResource: false },
    { start: maxDay(c.period.start, resourceStart), end: c.period.end, perResource: true },
  ].filter((w) => w.start < w.end);

  const failures: string[] = [];
  for (const window of windows) {
    const slices = await discoverSlices(c, window, splits, accountNames);
    failures.push(
      ...(await runParts(
        slices.map((slice) => ({
          name: `${window.start}..${window.end} ${describe(slice)}`,
          run: async () => {
            for (const query of sliceQueries(slice, window)) {
              const pages = countedPages(
                query.resources
                  ? fetchAwsResourceCostPages(c.client, query.input, c.retry)
                  : fetchAwsCostPages(c.client, query.input, c.retry),
                c.progress,
              );
              const context = {
                billingAccountId: c.settings.billingAccountId,
                billingAccountName: c.settings.billingAccountName,
                ...(query.serviceName ? { serviceName: query.serviceName } : {}),
              };
              for await (const { record } of normalizeAwsCostPages(pages, context))
                await writer.add(keyedFocusRecord('aws', withSlice(record, slice, accountNames)));
            }
            await writer.flush();
          },
        })),
      )),
    );
  }
  if (failures.length === 0) await writer.removeStale('aws', [c.settings.billingAccountId], c.period);
  else await writer.flush();
  return { failures, totals: writer.totals() };
}

function minDay(a: string, b: string): string {
  return a < b ? a : b;
}
function maxDay(a: string, b: string): string {
  return a > b ? a : b;
}

function describe(slice: Slice): string {
  return slice.values.map((v) => (v.split.type === 'TAG' ? `${v.split.key}=${v.value || '(none)'}` : v.value)).join(' / ');
}

function condition(v: SliceValue): Expression {
  if (v.split.type === 'DIMENSION') return { Dimensions: { Key: v.split.key, Values: [v.value] } };
  return v.value === ''
    ? { Tags: { Key: v.split.key, MatchOptions: ['ABSENT'] } }
    : { Tags: { Key: v.split.key, Values: [v.value], MatchOptions: ['EQUALS'] } };
}

/** Cost Explorer wants `And` with two or more expressions, a lone expression otherwise. */
function allOf(expressions: Expression[]): Expression | undefined {
  if (expressions.length === 0) return undefined;
  return expressions.length === 1 ? expressions[0] : { And: expressions };
}

const groupOf = (split: Split): GroupDefinition => ({ Type: split.type, Key: split.key });

/** Finds the slices with costs in the window, two split dimensions per request. */
async function discoverSlices(
  c: AwsCostCollection,
  window: { start: string; end: string },
  splits: Split[],
  accountNames: Map<string, string>,
): Promise<Slice[]> {
  let slices: Slice[] = [{ values: [] }];
  for (let i = 0; i < splits.length; i += 2) {
    const level = splits.slice(i, i + 2);
    const found: Slice[] = [];
    for (const slice of slices) {
      const filter = allOf(slice.values.map(condition));
      const query: AwsCostQuery = {
        TimePeriod: { Start: window.start, End: window.end },
        Granularity: 'MONTHLY',
        Metrics: ['UnblendedCost'],
        GroupBy: level.map(groupOf),
        ...(filter ? { Filter: filter } : {}),
      };
      const seen = new Set<string>();
      for await (const page of countedPages(fetchAwsCostPages(c.client, query, c.retry), c.progress)) {
        for (const keys of groupKeys(page, level.length)) {
          const id = keys.join('\u0000');
          if (seen.has(id)) continue;
          seen.add(id);
          found.push({
            values: [...slice.values, ...level.map((split, j) => ({ split, value: split.type === 'TAG' ? tagValue(keys[j]!) : keys[j]! }))],
          });
        }
        for (const attribute of page.DimensionValueAttributes ?? []) {
          const name = attribute.Attributes?.description;
          if (attribute.Value && name) accountNames.set(attribute.Value, name);
        }
      }
    }
    slices = found;
  }
  return slices;
}

/** `team$research` → `research`; `team$` (untagged) → ''. */
function tagValue(key: string): string {
  const dollar = key.indexOf('$');
  return dollar >= 0 ? key.slice(dollar + 1) : key;
}

function groupKeys(page: AwsCostAndUsagePage, width: number): string[][] {
  const operation = 'CostExplorer.GetCostAndUsage';
  const out: string[][] = [];
  page.ResultsByTime?.forEach((result, r) =>
    (result.Groups ?? []).forEach((group, g) => {
      const keys = group.Keys;
      if (!Array.isArray(keys) || keys.length !== width || keys.some((k) => typeof k !== 'string')) {
        throw malformedReply('aws', operation, `Keys do not match the ${width} GroupDefinitions`, `ResultsByTime[${r}].Groups[${g}].Keys`);
      }
      out.push(keys);
    }),
  );
  return out;
}

type SliceQuery =
  | { resources: false; serviceName?: undefined; input: AwsCostQuery }
  | { resources: true; serviceName: string; input: AwsResourceCostQuery };

function sliceQueries(slice: Slice, window: { start: string; end: string; perResource: boolean }): SliceQuery[] {
  const conditions = slice.values.map(condition);
  const daily = (groupBy: GroupDefinition[], filter: Expression | undefined): AwsCostQuery => ({
    TimePeriod: { Start: window.start, End: window.end },
    Granularity: 'DAILY',
    Metrics: awsCostMetrics,
    GroupBy: groupBy,
    ...(filter ? { Filter: filter } : {}),
  });
  const byServiceAndUsage: GroupDefinition[] = [
    { Type: 'DIMENSION', Key: 'SERVICE' },
    { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
  ];
  if (!window.perResource) return [{ resources: false, input: daily(byServiceAndUsage, allOf(conditions)) }];
  return [
    {
      resources: false,
      input: daily(byServiceAndUsage, allOf([...conditions, { Not: { Dimensions: { Key: 'SERVICE', Values: awsResourceServices } } }])),
    },
    ...awsResourceServices.map((service) => ({
      resources: true as const,
      serviceName: service,
      input: {
        ...daily(
          [
            { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
            { Type: 'DIMENSION', Key: 'RESOURCE_ID' },
          ],
          undefined,
        ),
        Filter: { And: [...conditions, { Dimensions: { Key: 'SERVICE', Values: [service] } } satisfies Expression] },
      },
    })),
  ];
}

const noRegion = new Set(['', 'NoRegion']);

/** The slice's filter values become the record's columns (they were not grouped, so the reply lacks them). */
function withSlice(record: FocusRecord, slice: Slice, accountNames: Map<string, string>): FocusRecord {
  for (const { split, value } of slice.values) {
    if (split.type === 'TAG') {
      if (value !== '') record.Tags[split.key] = value;
    } else if (split.key === 'LINKED_ACCOUNT') {
      record.SubAccountId = value;
      record.SubAccountName = accountNames.get(value) ?? null;
    } else if (split.key === 'REGION') {
      record.RegionId = noRegion.has(value) ? null : value;
    } else if (split.key === 'RECORD_TYPE') {
      const charge = awsChargeCategory(value);
      record.ChargeCategory = charge.category;
      record.ChargeFrequency = charge.frequency;
      record.x_ProviderDimensions = { ...record.x_ProviderDimensions, RECORD_TYPE: value };
    } else {
      record.x_PricingModel = value;
      record.PricingCategory = awsPricingCategory(value);
      record.ChargeDescription = `${record.ChargeDescription}, ${value}`;
    }
  }
  // `BoxUsage:p5.48xlarge`, `USW2-SpotUsage:g5.12xlarge`: the instance type, when it carries GPUs.
  const candidate = record.x_UsageType ? /:([a-z0-9-]+\.[a-z0-9]+)$/i.exec(record.x_UsageType)?.[1] : undefined;
  const type = record.x_InstanceType ? undefined : gpuMachineType('aws', candidate);
  if (type) {
    record.x_InstanceType = type.name;
    record.x_GpuModel = type.gpuModel;
    record.x_GpuCount = type.gpuCount;
  }
  return record;
}
