import { spawn } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { focusRecord } from '../test/support/focus.js';
import { gpuPricePoint } from '../test/support/prices.js';
import { seededRandom } from '../shared/seeded-random.js';
import { type HostHour } from '../shared/domain/measurements/host-hours.js';
import { DAY_MS, HOUR_MS } from '../shared/domain/core/utc-time.js';
import type { GpuPricePoint } from '../shared/domain/market/price-points.js';
import { computeSignals, signalSettings } from '../shared/domain/signals/signals.js';
import { UnitEconomicsFold } from '../shared/domain/economics/unit-economics.js';
import { fmt, report } from './harness.js';

/**
 * Analysis cost as the fleet grows: 30 days of host-hour rollups (8 GPUs a host) and a day of FOCUS records per
 * host, streamed through the unit-economics fold, then the recontracting signals over its observations. Each size
 * runs in a fresh process so peak memory is its own. The ratio of 10,000 GPUs to 1,000 GPUs shows how the cost
 * grows: 10 is linear; memory should grow with the fleet's size (per-host and per-GPU aggregates), not with hours.
 */
const GPUS_PER_HOST = 8;
const DAYS = 30;
const POOLS = 20;
const childFlag = '--analysis-child';

interface AnalysisRun {
  gpus: number;
  hostHours: number;
  costRecords: number;
  rows: number;
  signals: number;
  seconds: number;
  peakRssMiB: number;
  peakHeapMiB: number;
}

function* hostHours(hosts: number, from: number): Generator<HostHour> {
  const random = seededRandom(7);
  // Busy pools around SM active 0.7, four idle pools around 0.15, and one slow GPU in 97.
  const sm = Array.from({ length: hosts * GPUS_PER_HOST }, (_, i) => {
    const pool = Math.floor(i / GPUS_PER_HOST) % POOLS;
    const base = pool < 4 ? 0.15 : 0.7;
    return i % 97 === 5 ? base / 2 : base + (random() - 0.5) * 0.06;
  });
  for (let hour = 0; hour < DAYS * 24; hour++) {
    for (let h = 0; h < hosts; h++) {
      const gpus = [];
      let effective = 0;
      for (let g = 0; g < GPUS_PER_HOST; g++) {
        const active = sm[h * GPUS_PER_HOST + g]!;
        effective += active;
        gpus.push({
          uuid: `GPU-${h}-${g}`,
          model: 'NVIDIA H100 80GB HBM3',
          observedGpuHours: 1,
          effectiveGpuHours: active,
          smActive: active,
        });
      }
      yield {
        hostId: `host-${h}`,
        hour: from + hour * HOUR_MS,
        pool: `pool-${h % POOLS}`,
        instanceId: `i-${String(h).padStart(17, '0')}`,
        instanceType: 'p5.48xlarge',
        provider: 'aws',
        region: 'us-east-1',
        gpus,
        observedGpuHours: GPUS_PER_HOST,
        effectiveGpuHours: effective,
        energyKwh: GPUS_PER_HOST * 0.5,
        inference: { 'llama-3-70b': { tokens: 1_000_000, requests: 900 } },
      };
    }
  }
}

/** On-demand and one-year prices of the p5 in us-east-1, and a cheaper on-demand p5 in us-west-2. */
function market(nowMs: number): GpuPricePoint[] {
  const observedAt = new Date(nowMs - DAY_MS).toISOString();
  const point = (region: string, pricingCategory: GpuPricePoint['pricingCategory'], term: GpuPricePoint['term'], perHour: number) =>
    gpuPricePoint({
      region,
      pricingCategory,
      term,
      variant: term ? 'standard/No Upfront' : null,
      pricePerHour: String(perHour * 8),
      pricePerGpuHour: String(perHour),
      observedAt,
    });
  return [
    point('us-east-1', 'on-demand', null, 6.88),
    point('us-east-1', 'reserved', '1yr', 4.3),
    point('us-west-2', 'on-demand', null, 5.5),
  ];
}

async function child(gpus: number): Promise<void> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
  };
  const hosts = gpus / GPUS_PER_HOST;
  const to = Date.parse('2026-11-23T00:00:00Z');
  const from = to - DAYS * DAY_MS;
  const started = performance.now();
  const fold = new UnitEconomicsFold({ from, to }, { teamTag: 'team' });
  let count = 0;
  for (const h of hostHours(hosts, from)) {
    fold.addHostHour(h);
    if (++count % 20_000 === 0) sample();
  }
  let costRecords = 0;
  for (let day = from; day < to; day += DAY_MS) {
    const start = new Date(day).toISOString();
    const end = new Date(day + DAY_MS).toISOString();
    for (let h = 0; h < hosts; h++) {
      fold.addCost(
        focusRecord({
          ChargePeriodStart: start,
          ChargePeriodEnd: end,
          ResourceId: `i-${String(h).padStart(17, '0')}`,
          EffectiveCost: '1320.96',
          PricingCategory: 'Standard',
          ConsumedQuantity: '24',
          ConsumedUnit: 'Hrs',
          x_GpuCount: 8,
          Tags: { team: `team-${h % 7}` },
        }),
      );
      costRecords++;
    }
    sample();
  }
  const result = fold.result();
  sample();
  const signals = computeSignals(
    { pools: result.pools, gpus: result.gpus, latestPrices: market(to), priceHistory: market(to), capacity: [], nowMs: to },
    signalSettings({ LEDGER_MOVE_MARGIN_PERCENT: 15, LEDGER_CONSOLIDATE_IDLE_PERCENT: 60, LEDGER_RENEGOTIATE_THRESHOLD_PERCENT: 10 }),
  );
  sample();
  const run: AnalysisRun = {
    gpus,
    hostHours: count,
    costRecords,
    rows: result.rows.length,
    signals: signals.length,
    seconds: (performance.now() - started) / 1000,
    peakRssMiB: peakRss / 2 ** 20,
    peakHeapMiB: peakHeap / 2 ** 20,
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

function runChild(gpus: number): Promise<AnalysisRun> {
  return new Promise((resolveRun, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), childFlag, String(gpus)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('exit', (code) =>
      code === 0
        ? resolveRun(JSON.parse(out.trim().split('\n').at(-1)!))
        : reject(new Error(`analysis child for ${gpus} GPUs exited with ${code}`)),
    );
  });
}

export async function benchAnalysis(): Promise<void> {
  const small = await runChild(1_000);
  const large = await runChild(10_000);
  const line = (r: AnalysisRun) =>
    `${fmt(r.hostHours)} host-hours, ${fmt(r.costRecords)} cost records → ${fmt(r.rows)} rows, ${r.signals} signals in ${fmt(r.seconds, 2)} s; peak RSS ${fmt(r.peakRssMiB, 1)} MiB, peak heap ${fmt(r.peakHeapMiB, 1)} MiB`;
  report(`Analysis of ${DAYS} days of host-hour rollups (unit economics, then signals), fresh process each`, [
    ['1,000 GPUs', line(small)],
    ['10,000 GPUs', line(large)],
    ['time ratio 10k ÷ 1k (10 = linear)', fmt(large.seconds / small.seconds, 2)],
    ['peak RSS ratio 10k ÷ 1k', fmt(large.peakRssMiB / small.peakRssMiB, 2)],
    ['peak heap ratio 10k ÷ 1k', fmt(large.peakHeapMiB / small.peakHeapMiB, 2)],
  ]);
}

if (process.argv[2] === childFlag) await child(Number(process.argv[3]));
