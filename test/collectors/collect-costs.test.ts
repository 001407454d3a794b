import '../../local/local-logging.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localBus } from '../../shared/adapters/events.js';
import { type CollectionPeriodInput, type CollectorTarget, runCollectors } from '../../shared/services/collect/index.js';
import { formatDecimal, parseDecimal } from '../../shared/domain/core/money.js';
import { type LocalProviders, startLocalProviders } from '../../local/providers/index.js';
import type { LedgerRuntime } from '../../local/runtime.js';
import { localCollectorContext } from '../support/collectors.js';
import { apiClient, startTestLedger } from '../support/ledger.js';

/**
 * The cost collectors end to end: local provider server (real wire formats, small pages) → SDK clients →
 * normalizers → DynamoDB Local → `GET /v1/costs`. Amounts are checked by hand where the simulation's prices are
 * fixed (on-demand and reserved rates), and against the simulation's own line items where they are seeded.
 */
const clock = '2026-11-23T09:30:00Z';
const DAY = Date.parse('2026-11-19T00:00:00Z');
let ledger: LedgerRuntime;
let providers: LocalProviders;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  ledger = await startTestLedger();
  api = apiClient(ledger);
  providers = await startLocalProviders({ now: clock, pageSizes: { costExplorer: 4, costManagement: 5, bigQuery: 5 } });
});
afterAll(async () => {
  await providers?.stop();
  await ledger?.stop();
});
beforeEach(() => {
  providers.controls.reset();
  providers.controls.resetCounts();
  providers.organization.revision = 0;
});

async function collect(target: CollectorTarget, period: CollectionPeriodInput, env: Record<string, string> = {}) {
  const context = localCollectorContext(ledger, providers, { asOf: clock, env });
  try {
    return await runCollectors(target, context, period);
  } finally {
    await context.clients.close();
  }
}

interface Group {
  key: string | null;
  billedCost: string;
  effectiveCost: string;
  records: number;
}

async function costs(query: string): Promise<{ groups: Group[]; totals: Omit<Group, 'key'>[] }> {
  const response = await api('GET', `/v1/costs?${query}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

/** key → [BilledCost, EffectiveCost] */
async function amountsBy(query: string): Promise<Record<string, [string, string]>> {
  return Object.fromEntries((await costs(query)).groups.map((g) => [String(g.key), [g.billedCost, g.effectiveCost]]));
}

const sum = (values: bigint[]) => formatDecimal(values.reduce((a, b) => a + b, 0n));

describe('aws-costs', () => {
  const day = 'from=2026-11-19&to=2026-11-20&provider=aws';

  it('writes a day of Cost Explorer costs per account, region, purchase type, usage type and resource, with exact totals', async () => {
    const [run] = await collect('aws-costs', { from: '2026-11-19', to: '2026-11-20' });
    // 2 on-demand, 1 reserved (usage and fee), 2 spot instances, and the S3 storage line.
    expect(run).toMatchObject({ collector: 'aws-costs', status: 'ok', rows: 7, periodStart: '2026-11-19', periodEnd: '2026-11-20' });
    expect(run!.pages).toBeGreaterThanOrEqual(6);

    const byResource = await amountsBy(`${day}&groupBy=ResourceId`);
    // p5.48xlarge on demand: 8 × 6.88 = 55.04 $/h × 24 h.
    expect(byResource['i-0a1b2c3d4e5f60001']).toEqual(['1320.96', '1320.96']);
    // The reserved p5.48xlarge: nothing billed; 70% of 55.04 = 38.528 $/h × 22 h amortized.
    expect(byResource['i-0a1b2c3d4e5f60002']).toEqual(['0', '847.616']);
    // g6e.12xlarge on demand: 4 × 1.861 = 7.444 $/h × 24 h.
    expect(byResource['i-0a1b2c3d4e5f60004']).toEqual(['178.656', '178.656']);
    // Spot p4d.24xlarge: the day's seeded spot rate × 24 h.
    const p4dSpot = formatDecimal(providers.organization.awsSpotRate('p4d.24xlarge', DAY) * 24n);
    expect(byResource['i-0a1b2c3d4e5f60003']).toEqual([p4dSpot, p4dSpot]);

    const byPricing = await amountsBy(`${day}&groupBy=PricingCategory`);
    // The RI fee: 38.528 × 24 = 924.672 billed; amortized, the 2 unused hours: 77.056. With the usage, 924.672.
    expect(byPricing.Committed).toEqual(['924.672', '924.672']);

    // Every line item of the simulated day, summed independently of the collector.
    const items = providers.organization.awsLineItems(DAY);
    const expected = { billed: sum(items.map((i) => i.unblended)), effective: sum(items.map((i) => i.amortized)) };
    expect((await costs(day)).totals).toEqual([
      { currency: 'USD', billedCost: expected.billed, effectiveCost: expected.effective, listCost: expected.billed, records: 7 },
    ]);
    expect(run!.totals).toEqual([{ currency: 'USD', billedCost: expected.billed, effectiveCost: expected.effective }]);

    const byAccount = await amountsBy(`${day}&groupBy=SubAccountId`);
    // The inference account: the g6e on demand and the g5 spot instance.
    expect(byAccount['777788889999']![0]).toBe(
      sum([parseDecimal('178.656'), providers.organization.awsSpotRate('g5.12xlarge', DAY) * 14n]),
    );
    const byGpu = await amountsBy(`${day}&groupBy=x_GpuModel`);
    expect(byGpu.H100).toEqual(['2245.632', '2245.632']);
  });

  it('collects per resource only within the resource window, with the same totals either way', async () => {
    // Today is 2026-11-23: the 14-day resource window starts on 2026-11-10.
    const [run] = await collect('aws-costs', { from: '2026-11-08', to: '2026-11-12' });
    expect(run!.status).toBe('ok');
    const resources = async (from: string, to: string) =>
      Object.keys(await amountsBy(`from=${from}&to=${to}&provider=aws&groupBy=ResourceId`)).sort();
    expect(await resources('2026-11-09', '2026-11-10')).toEqual(['null']);
    expect(await resources('2026-11-10', '2026-11-11')).toEqual([
      'i-0a1b2c3d4e5f60001',
      'i-0a1b2c3d4e5f60002',
      'i-0a1b2c3d4e5f60003',
      'i-0a1b2c3d4e5f60004',
      'i-0a1b2c3d4e5f60005',
      'null',
    ]);
    const items = [8, 9, 10, 11].flatMap((d) =>
      providers.organization.awsLineItems(Date.parse(`2026-11-${String(d).padStart(2, '0')}T00:00:00Z`)),
    );
    const expected = [
      { currency: 'USD', billedCost: sum(items.map((i) => i.unblended)), effectiveCost: sum(items.map((i) => i.amortized)) },
    ];
    expect(run!.totals).toEqual(expected);

    const [withoutResources] = await collect('aws-costs', { from: '2026-11-08', to: '2026-11-12' }, { LEDGER_AWS_RESOURCE_DAYS: '0' });
    expect(withoutResources!.totals).toEqual(expected);
    expect(await resources('2026-11-10', '2026-11-11')).toEqual(['null']);
  });

  it('changes nothing when the same period is collected again', async () => {
    await collect('aws-costs', { from: '2026-11-19', to: '2026-11-21' });
    const first = await api('GET', '/v1/costs/export?format=csv&from=2026-11-19&to=2026-11-21&provider=aws');
    const [again] = await collect('aws-costs', { from: '2026-11-19', to: '2026-11-21' });
    expect(again!.status).toBe('ok');
    const second = await api('GET', '/v1/costs/export?format=csv&from=2026-11-19&to=2026-11-21&provider=aws');
    expect(second.text.split('\r\n').sort()).toEqual(first.text.split('\r\n').sort());
    expect((await costs('from=2026-11-19&to=2026-11-21&provider=aws')).totals[0]!.records).toBe(14);
  });

  it('overwrites a restated day with its new amounts, keeping one record per key', async () => {
    const period = { from: '2026-11-19', to: '2026-11-24' };
    await collect('aws-costs', period);
    const restatedDay = 'from=2026-11-21&to=2026-11-22&provider=aws';
    // Before the restatement only 21 of its 24 hours had arrived: 55.04 × 21.
    expect((await amountsBy(`${restatedDay}&groupBy=ResourceId`))['i-0a1b2c3d4e5f60001']).toEqual(['1155.84', '1155.84']);
    const before = await costs('from=2026-11-19&to=2026-11-24&provider=aws');
    const otherDays = await costs('from=2026-11-19&to=2026-11-21&provider=aws');

    providers.controls.restate();
    const [run] = await collect('aws-costs', period);
    expect(run!.status).toBe('ok');
    expect((await amountsBy(`${restatedDay}&groupBy=ResourceId`))['i-0a1b2c3d4e5f60001']).toEqual(['1320.96', '1320.96']);
    const after = await costs('from=2026-11-19&to=2026-11-24&provider=aws');
    expect(after.totals[0]!.records).toBe(before.totals[0]!.records);
    expect(after.totals[0]!.billedCost).not.toBe(before.totals[0]!.billedCost);
    expect(await costs('from=2026-11-19&to=2026-11-21&provider=aws')).toEqual(otherDays);
  });

  it('removes what an earlier run wrote for the period and no longer reports (here: records split by a tag)', async () => {
    const period = { from: '2026-11-19', to: '2026-11-20' };
    await collect('aws-costs', period, { LEDGER_AWS_COST_TAGS: 'team' });
    const tagged = await amountsBy(`${day}&groupBy=tag:team`);
    expect(Object.keys(tagged).sort()).toEqual(['inference', 'research']);
    const totals = (await costs(day)).totals;

    await collect('aws-costs', period);
    expect(await amountsBy(`${day}&groupBy=tag:team`)).toEqual({ null: [totals[0]!.billedCost, totals[0]!.effectiveCost] });
    expect((await costs(day)).totals).toEqual(totals);
  });

  it('rides out throttling: the run is ok', async () => {
    providers.controls.throttle('aws-cost-explorer', 3);
    const [run] = await collect('aws-costs', { from: '2026-11-19', to: '2026-11-20' });
    expect(run).toMatchObject({ status: 'ok', rows: 7 });
    expect(providers.controls.requests('aws-cost-explorer')).toBe(run!.pages + 3);
  });

  it('fails on a persistent 500: a failed run record, a collector.failed event, nothing removed', async () => {
    await collect('aws-costs', { from: '2026-11-19', to: '2026-11-20' });
    const kept = await costs(day);
    providers.controls.fail('aws-cost-explorer', 'always');
    const [run] = await collect('aws-costs', { from: '2026-11-19', to: '2026-11-20' });
    expect(run).toMatchObject({ status: 'failed', rows: 0, pages: 0 });
    expect(run!.error).toMatch(/^CostExplorer\.GetCostAndUsage failed after 4 attempts in \d+ ms \(HTTP 500 InternalServerError\)/);
    const event = localBus.published.find((e) => e.name === 'collector.failed' && (e.detail as { runId: string }).runId === run!.runId);
    expect(event?.detail).toMatchObject({
      collector: 'aws-costs',
      provider: 'aws',
      periodStart: '2026-11-19',
      periodEnd: '2026-11-20',
      error: run!.error,
    });
    const listed = await api('GET', '/v1/collector-runs?collector=aws-costs&limit=1');
    expect(listed.body.runs[0]).toMatchObject({ runId: run!.runId, status: 'failed', error: run!.error });
    expect(await costs(day)).toEqual(kept);
  });

  it('fails a malformed reply with a message that says where', async () => {
    providers.controls.malformed('aws-cost-explorer', 1);
    const [run] = await collect('aws-costs', { from: '2026-11-19', to: '2026-11-20' });
    expect(run!.status).toBe('failed');
    expect(run!.error).toMatch(/CostExplorer\.GetCostAndUsage .*(malformed|could not be parsed)/);
    expect(providers.controls.requests('aws-cost-explorer')).toBe(1);
  });
});

describe('azure-costs', () => {
  const day = 'from=2026-11-19&to=2026-11-20&provider=azure';
  const vm = (name: string, group = 'ml-training') =>
    `/subscriptions/00000000-aaaa-bbbb-cccc-000000000001/resourcegroups/${group}/providers/microsoft.compute/virtualmachines/${name}`;

  it('joins actual and amortized cost per resource and pricing model, with hand-checked amounts and GPU models from the meters', async () => {
    const [run] = await collect('azure-costs', { from: '2026-11-19', to: '2026-11-20' });
    // 4 VMs and the unused part of the reservation.
    expect(run).toMatchObject({ status: 'ok', rows: 5 });
    const byResource = await amountsBy(`${day}&groupBy=ResourceId`);
    // ND96isr H100 v5: 8 × 12.29 = 98.32 $/h × 24 h.
    expect(byResource[vm('gpu-h100-01')]).toEqual(['2359.68', '2359.68']);
    // Reserved: round(98.32 × 8760 × 0.5916) = 509535 a year = 58.1661 $/h; 20 h used, 4 h unused.
    expect(byResource[vm('gpu-h100-02')]).toEqual(['0', '1163.322']);
    expect(byResource.null).toEqual(['0', '232.6644']);
    // NC4as T4 v3: 0.526 $/h × 10 h.
    expect(byResource[vm('gpu-t4-01', 'inference')]).toEqual(['5.26', '5.26']);

    const rows = providers.organization.azureUsage(DAY);
    const billed = sum(rows.map((r) => r.actualCost));
    const effective = sum(rows.map((r) => r.amortizedCost));
    expect(run!.totals).toEqual([{ currency: 'USD', billedCost: billed, effectiveCost: effective }]);
    expect((await costs(day)).totals[0]).toMatchObject({ billedCost: billed, effectiveCost: effective, records: 5 });

    const byGpu = await amountsBy(`${day}&groupBy=x_GpuModel`);
    expect(byGpu.H100).toEqual(['2359.68', '3523.002']);
    expect(byGpu.T4).toEqual(['5.26', '5.26']);
    expect(Object.keys(byGpu).sort()).toEqual(['A100-80GB', 'H100', 'T4', 'null']);
  });

  it('puts the configured tags of each resource on its records', async () => {
    const [run] = await collect('azure-costs', { from: '2026-11-19', to: '2026-11-20' }, { LEDGER_AZURE_COST_TAGS: 'team' });
    expect(run).toMatchObject({ status: 'ok', rows: 5 });
    const byTeam = await amountsBy(`${day}&groupBy=tag:team`);
    const a100Spot = providers.organization.azureSpotRate('Standard_NC24ads_A100_v4', DAY) * 24n;
    // The two H100 VMs and the A100 spot VM; the T4; the unused reservation belongs to no resource.
    expect(byTeam).toEqual({
      research: [sum([parseDecimal('2359.68'), a100Spot]), sum([parseDecimal('2359.68'), parseDecimal('1163.322'), a100Spot])],
      inference: ['5.26', '5.26'],
      null: ['0', '232.6644'],
    });
    // Collected again without the tag, the tagged records of the day give way to untagged ones.
    await collect('azure-costs', { from: '2026-11-19', to: '2026-11-20' });
    expect(Object.keys(await amountsBy(`${day}&groupBy=tag:team`))).toEqual(['null']);
    expect((await costs(day)).totals[0]!.records).toBe(5);
  });

  it('bills the monthly reservation purchase on the first of the month', async () => {
    await collect('azure-costs', { from: '2026-11-01', to: '2026-11-02' });
    // 509535 / 12.
    expect((await amountsBy('from=2026-11-01&to=2026-11-02&provider=azure&groupBy=ChargeCategory')).Purchase).toEqual(['42461.25', '0']);
  });

  it('overwrites a restated day and changes nothing on a plain re-run', async () => {
    const period = { from: '2026-11-19', to: '2026-11-24' };
    await collect('azure-costs', period);
    const first = await costs('from=2026-11-19&to=2026-11-24&provider=azure');
    await collect('azure-costs', period);
    expect(await costs('from=2026-11-19&to=2026-11-24&provider=azure')).toEqual(first);
    // 98.32 × 21 hours before the late usage arrives, 24 after.
    expect((await amountsBy('from=2026-11-21&to=2026-11-22&provider=azure&groupBy=ResourceId'))[vm('gpu-h100-01')]).toEqual([
      '2064.72',
      '2064.72',
    ]);
    providers.controls.restate();
    await collect('azure-costs', period);
    expect((await amountsBy('from=2026-11-21&to=2026-11-22&provider=azure&groupBy=ResourceId'))[vm('gpu-h100-01')]).toEqual([
      '2359.68',
      '2359.68',
    ]);
    expect((await costs('from=2026-11-19&to=2026-11-24&provider=azure')).totals[0]!.records).toBe(first.totals[0]!.records);
  });

  it('goes on with the other scopes when one fails: a partial run naming the scope', async () => {
    const denied = '/subscriptions/00000000-0000-0000-0000-00000000dead';
    const [run] = await collect(
      'azure-costs',
      { from: '2026-11-19', to: '2026-11-20' },
      { LEDGER_AZURE_SCOPE: `${providers.accounts.azure.scope},${denied}` },
    );
    expect(run).toMatchObject({ status: 'partial', rows: 5 });
    expect(run!.failures).toEqual([
      expect.stringMatching(new RegExp(`^${denied}: CostManagement\\.Query\\.usage failed \\(HTTP 403 AuthorizationFailed\\)`)),
    ]);
    expect((await costs(day)).totals[0]!.records).toBe(5);
  });
});

describe('gcp-costs', () => {
  const day = 'from=2026-11-19&to=2026-11-20&provider=gcp';

  it('reads the billing export with credits folded into EffectiveCost, with hand-checked amounts', async () => {
    const [run] = await collect('gcp-costs', { from: '2026-11-19', to: '2026-11-20' });
    // 3 instances × (GPU SKU + core SKU), 5 rows a page.
    expect(run).toMatchObject({ status: 'ok', rows: 6, pages: 2 });
    const byGpu = await amountsBy(`${day}&groupBy=x_GpuModel`);
    // a3-highgpu-8g: 192 GPU-hours × 9.79655 = 1880.9376, less the 30% committed-use credit; cores 208 × 24 × 0.0318.
    expect(byGpu.H100).toEqual(['2039.6832', '1475.40192']);
    // g2-standard-24: 2 L4 × 18 h × 0.672 = 24.192; cores 24 × 18 × 0.0318 = 13.7376.
    expect(byGpu.L4).toEqual(['37.9296', '37.9296']);
    const rows = providers.organization.gcpExportRows(DAY);
    const billed = sum(rows.map((r) => r.cost));
    const effective = sum(rows.map((r) => r.cost + r.credits));
    expect(run!.totals).toEqual([{ currency: 'USD', billedCost: billed, effectiveCost: effective }]);
    expect((await costs(day)).totals[0]).toMatchObject({ billedCost: billed, effectiveCost: effective, records: 6 });
    expect(Object.keys(await amountsBy(`${day}&groupBy=tag:team`)).sort()).toEqual(['inference', 'research']);
  });

  it('overwrites a restated day and changes nothing on a plain re-run', async () => {
    const period = { from: '2026-11-20', to: '2026-11-23' };
    await collect('gcp-costs', period);
    const first = await costs('from=2026-11-20&to=2026-11-23&provider=gcp');
    await collect('gcp-costs', period);
    expect(await costs('from=2026-11-20&to=2026-11-23&provider=gcp')).toEqual(first);
    providers.controls.restate();
    await collect('gcp-costs', period);
    const after = await costs('from=2026-11-20&to=2026-11-23&provider=gcp');
    expect(after.totals[0]!.records).toBe(first.totals[0]!.records);
    // The restated day gains 3 hours on every instance.
    expect(after.totals[0]!.billedCost).not.toBe(first.totals[0]!.billedCost);
    expect((await amountsBy('from=2026-11-21&to=2026-11-22&provider=gcp&groupBy=x_GpuModel')).H100![0]).toBe('2039.6832');
  });

  it('rides out rateLimitExceeded, and fails a malformed reply', async () => {
    providers.controls.throttle('gcp-bigquery', 2);
    expect((await collect('gcp-costs', { from: '2026-11-19', to: '2026-11-20' }))[0]).toMatchObject({ status: 'ok', rows: 6 });
    providers.controls.malformed('gcp-bigquery', 1);
    const [run] = await collect('gcp-costs', { from: '2026-11-19', to: '2026-11-20' });
    expect(run!.status).toBe('failed');
    expect(run!.error).toMatch(/BigQuery\.jobs\.query/);
  });
});
