import type { CollectorRun } from '../shared/domain/providers/collector-runs.js';
import { formatDecimalFixed, parseDecimal } from '../shared/domain/core/money.js';
import type { PriceTableRow } from '../shared/domain/market/price-query.js';
import type { CostReport } from '../shared/domain/costs/cost-query.js';
import { scheduledJobs } from '../shared/schedules.js';
import { invokeJob } from './scheduler.js';
import { formatTable } from './summary-table.js';

/** `npm start`'s collection: every scheduled collector job once, through its handler, and what to print. */
export async function collectEverything(payload: { from?: string; to?: string } = {}): Promise<CollectorRun[]> {
  const runs: CollectorRun[] = [];
  for (const job of scheduledJobs) {
    if (job.startsAnalysis) continue;
    const result = (await invokeJob(job, payload)) as { runs: CollectorRun[] };
    runs.push(...result.runs);
  }
  return runs;
}

const money = (amount: string) => formatDecimalFixed(parseDecimal(amount), 2);
const perGpuHour = (amount: string) => formatDecimalFixed(parseDecimal(amount), 4);
const providerNames = { aws: 'AWS', azure: 'Azure', gcp: 'Google Cloud' } as const;

async function get<T>(url: string, token: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as T;
  if (response.status !== 200) throw new Error(`${new URL(url).pathname} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Calendar months (`YYYY-MM`) that overlap [from, to). */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  for (
    let d = new Date(`${from.slice(0, 7)}-01T00:00:00Z`);
    d.toISOString().slice(0, 10) < to;
    d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))
  ) {
    months.push(d.toISOString().slice(0, 7));
  }
  return months;
}

/** Spend by month, provider and service from `GET /v1/costs`, BilledCost and EffectiveCost. */
export async function spendTable(api: { url: string; token: string }, period: { from: string; to: string }): Promise<string> {
  const rows: string[][] = [];
  for (const month of monthsBetween(period.from, period.to)) {
    const [year, m] = month.split('-').map(Number) as [number, number];
    const from = `${month}-01` < period.from ? period.from : `${month}-01`;
    const next = new Date(Date.UTC(year, m, 1)).toISOString().slice(0, 10);
    const to = next > period.to ? period.to : next;
    for (const provider of ['aws', 'azure', 'gcp'] as const) {
      const report = await get<CostReport>(`${api.url}/v1/costs?from=${from}&to=${to}&provider=${provider}&groupBy=ServiceName`, api.token);
      for (const g of report.groups)
        rows.push([month, providerNames[provider], g.key ?? '-', g.currency, money(g.billedCost), money(g.effectiveCost)]);
    }
  }
  const all = await get<CostReport>(`${api.url}/v1/costs?from=${period.from}&to=${period.to}`, api.token);
  for (const t of all.totals) rows.push(['all months', 'all', 'all', t.currency, money(t.billedCost), money(t.effectiveCost)]);
  return formatTable(['month', 'provider', 'service', 'currency', 'BilledCost', 'EffectiveCost'], rows);
}

/** GPU model × provider × pricing category, per GPU-hour, from `GET /v1/prices` (the latest of every offer). */
export async function priceTable(api: { url: string; token: string }): Promise<string> {
  const { table } = await get<{ table: PriceTableRow[] }>(`${api.url}/v1/prices`, api.token);
  return formatTable(
    ['GPU', 'provider', 'pricing', 'currency', 'offers', 'min / GPU-h', 'median / GPU-h', 'max / GPU-h', 'cheapest'],
    table.map((r) => [
      r.gpuModel,
      providerNames[r.provider as keyof typeof providerNames] ?? r.provider,
      r.pricingCategory,
      r.currency,
      r.offers,
      perGpuHour(r.minPerGpuHour),
      perGpuHour(r.medianPerGpuHour),
      perGpuHour(r.maxPerGpuHour),
      [r.cheapest.region, r.cheapest.zone, r.cheapest.instanceType ?? r.cheapest.sku].filter(Boolean).join(' '),
    ]),
  );
}
