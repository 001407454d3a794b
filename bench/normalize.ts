import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { createBigQueryClient, fetchBigQueryPages, gcpBillingExportQuery } from '../shared/adapters/gcp/bigquery-billing.js';
import { staticGoogleAuthClient } from '../shared/adapters/gcp/google-auth.js';
import { type BigQueryResultPage, normalizeGcpBillingPages } from '../shared/domain/costs/focus-gcp.js';
import { formatDecimal, parseDecimal } from '../shared/domain/core/money.js';
import { fmt, report } from './harness.js';

/**
 * Normalization of Google Cloud billing-export rows (BigQuery REST `f`/`v` rows → keyed FOCUS records).
 *
 * 1. Throughput, as a ratio to `JSON.parse` of the same reply bytes: rows/s of the normalizer over parsed
 *    pages ÷ rows/s of JSON.parse over the raw pages (100,000 rows, ten 10,000-row pages).
 * 2. Memory while streaming through the real BigQuery client and the GCP adapter from the local provider
 *    server (running in its own process, so its memory is not counted): peak RSS, peak V8 heap and the heap
 *    retained after a full collection, of a 1,000,000-row run against a 100,000-row run, each in a fresh
 *    process, with default heap limits and with old space capped at 256 MiB (the full result is ~600 MiB of
 *    JSON, so the capped 1M run only finishes if it streams).
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '..');
const clock = '2026-11-23T09:30:00Z';
const childFlag = '--bench-normalize-child';

interface ServerProcess {
  endpoints: Record<string, string>;
  accounts: { gcp: { billingProjectId: string; exportTable: string } };
  process: ChildProcess;
}

async function startServerProcess(rows: number): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(root, 'local/providers/serve.ts'), '--now', clock, '--bigquery-rows', String(rows), '--no-throttle'],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await once(lines, 'line')) as [string];
  lines.close();
  const parsed = JSON.parse(first) as Omit<ServerProcess, 'process'>;
  return { ...parsed, process: child };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** The reply bodies of a whole query, fetched raw (jobs.query, then getQueryResults by pageToken). */
async function rawPages(server: ServerProcess): Promise<Buffer[]> {
  const base = `${server.endpoints.LEDGER_GCP_BIGQUERY_ENDPOINT}/bigquery/v2/projects/${server.accounts.gcp.billingProjectId}/queries`;
  const query = gcpBillingExportQuery({ table: server.accounts.gcp.exportTable, start: '2026-11-01', end: '2026-11-23' });
  const headers = { authorization: 'Bearer bench', 'content-type': 'application/json' };
  const body = {
    query: query.query,
    useLegacySql: false,
    parameterMode: 'NAMED',
    queryParameters: Object.entries(query.params!).map(([name, p]) => ({
      name,
      parameterType: { type: p.type },
      parameterValue: { value: p.value },
    })),
    maxResults: 10_000,
    formatOptions: { useInt64Timestamp: true },
  };
  const pages: Buffer[] = [];
  let reply = await fetch(base, { method: 'POST', headers, body: JSON.stringify(body) });
  for (;;) {
    const bytes = Buffer.from(await reply.arrayBuffer());
    pages.push(bytes);
    const { pageToken, jobReference } = JSON.parse(bytes.toString('utf8')) as { pageToken?: string; jobReference: { jobId: string } };
    if (!pageToken) return pages;
    reply = await fetch(
      `${base}/${jobReference.jobId}?pageToken=${encodeURIComponent(pageToken)}&maxResults=10000&formatOptions.useInt64Timestamp=true`,
      { headers },
    );
  }
}

async function normalizeAll(pages: BigQueryResultPage[]): Promise<number> {
  async function* source() {
    yield* pages;
  }
  let n = 0;
  for await (const _ of normalizeGcpBillingPages(source())) n++;
  return n;
}

function best(times: number[]): number {
  return Math.min(...times);
}

async function throughput(): Promise<void> {
  const server = await startServerProcess(100_000);
  try {
    const raw = await rawPages(server);
    const rows = 100_000;
    const bytes = raw.reduce((sum, b) => sum + b.length, 0);
    const parseTimes: number[] = [];
    const normalizeTimes: number[] = [];
    let parsed: BigQueryResultPage[] = [];
    for (let round = 0; round < 4; round++) {
      let start = performance.now();
      parsed = raw.map((b) => JSON.parse(b.toString('utf8')) as BigQueryResultPage);
      parseTimes.push(performance.now() - start);
      start = performance.now();
      const n = await normalizeAll(parsed);
      normalizeTimes.push(performance.now() - start);
      if (n !== rows) throw new Error(`normalized ${n} rows, expected ${rows}`);
    }
    const parseRate = rows / (best(parseTimes.slice(1)) / 1000);
    const normalizeRate = rows / (best(normalizeTimes.slice(1)) / 1000);
    report('GCP billing export rows → FOCUS (100,000 rows, 10 pages, best of 3 after a warm-up)', [
      ['reply bytes', `${fmt(bytes / 1_048_576, 1)} MiB (${fmt(bytes / rows)} B a row)`],
      ['JSON.parse of the replies', `${fmt(parseRate)} rows/s (${fmt(bytes / 1_048_576 / (best(parseTimes.slice(1)) / 1000), 0)} MiB/s)`],
      ['normalize (decode f/v, exact money, FOCUS, key hash)', `${fmt(normalizeRate)} rows/s`],
      ['ratio normalize ÷ JSON.parse', `${fmt(normalizeRate / parseRate, 2)}`],
      ['parse + normalize', `${fmt(rows / ((best(parseTimes.slice(1)) + best(normalizeTimes.slice(1))) / 1000))} rows/s`],
    ]);
  } finally {
    await stopProcess(server.process);
  }
}

interface MemoryResult {
  rows: number;
  pages: number;
  seconds: number;
  peakRssMiB: number;
  maxRssMiB: number;
  peakHeapMiB: number;
  /** Largest heap left after a full collection, taken every ten pages: what streaming actually holds. */
  retainedHeapMiB: number;
  billedTotal: string;
}

/** Runs in a fresh process: the real BigQuery client and adapter, streaming through the normalizer. */
async function memoryChild(endpoint: string, projectId: string, table: string): Promise<void> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > peakRss) peakRss = rss;
    const heap = getHeapStatistics().used_heap_size;
    if (heap > peakHeap) peakHeap = heap;
  };
  const timer = setInterval(sample, 20);
  const client = createBigQueryClient({ projectId, endpoint, authClient: staticGoogleAuthClient('bench') });
  let pages = 0;
  let retained = 0;
  const collect = (globalThis as { gc?: () => void }).gc;
  async function* counted() {
    for await (const page of fetchBigQueryPages(client, gcpBillingExportQuery({ table, start: '2026-11-01', end: '2026-11-23' }))) {
      pages++;
      sample();
      if (collect && pages % 10 === 0) {
        collect();
        retained = Math.max(retained, getHeapStatistics().used_heap_size);
      }
      yield page;
    }
  }
  const started = performance.now();
  let rows = 0;
  let billed = 0n;
  for await (const { record } of normalizeGcpBillingPages(counted())) {
    rows++;
    billed += parseDecimal(record.BilledCost);
    if (rows % 2000 === 0) sample();
  }
  sample();
  clearInterval(timer);
  const result: MemoryResult = {
    rows,
    pages,
    seconds: (performance.now() - started) / 1000,
    peakRssMiB: peakRss / 1_048_576,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    peakHeapMiB: peakHeap / 1_048_576,
    retainedHeapMiB: retained / 1_048_576,
    billedTotal: formatDecimal(billed),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function memoryRun(rows: number, heapCapMiB?: number): Promise<MemoryResult> {
  const server = await startServerProcess(rows);
  try {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        ...(heapCapMiB ? [`--max-old-space-size=${heapCapMiB}`] : []),
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        childFlag,
        server.endpoints.LEDGER_GCP_BIGQUERY_ENDPOINT!,
        server.accounts.gcp.billingProjectId,
        server.accounts.gcp.exportTable,
      ],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number];
    if (code !== 0) throw new Error(`memory run of ${rows} rows exited with ${code}`);
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as MemoryResult;
    if (result.rows !== rows) throw new Error(`streamed ${result.rows} rows, expected ${rows}`);
    return result;
  } finally {
    await stopProcess(server.process);
  }
}

async function memory(heapCapMiB?: number): Promise<void> {
  const small = await memoryRun(100_000, heapCapMiB);
  const large = await memoryRun(1_000_000, heapCapMiB);
  const row = (r: MemoryResult) =>
    `${fmt(r.rows / r.seconds)} rows/s end to end, ${r.pages} pages; peak RSS ${fmt(r.peakRssMiB, 1)} MiB (maxRSS ${fmt(r.maxRssMiB, 1)}), peak heap ${fmt(r.peakHeapMiB, 1)} MiB, retained heap ${fmt(r.retainedHeapMiB, 1)} MiB`;
  const heap = heapCapMiB ? `old space capped at ${heapCapMiB} MiB, as in a small Lambda` : 'default V8 heap limits';
  report(
    `Streaming through the BigQuery client and adapter from the local provider server (fresh process each, ${heap}; gc() every 10 pages reads the retained heap)`,
    [
      ['100,000 rows', row(small)],
      ['1,000,000 rows', row(large)],
      ['peak RSS ratio 1M ÷ 100k', fmt(large.peakRssMiB / small.peakRssMiB, 2)],
      ['peak heap ratio 1M ÷ 100k', fmt(large.peakHeapMiB / small.peakHeapMiB, 2)],
      ['retained heap ratio 1M ÷ 100k', fmt(large.retainedHeapMiB / small.retainedHeapMiB, 2)],
    ],
  );
}

export async function benchNormalize(): Promise<void> {
  await throughput();
  // Without a cap V8 lets garbage pile up longer in a longer run, so peaks grow with the run although what
  // is retained does not; under a cap the peaks show the bound.
  await memory();
  await memory(256);
}

if (process.argv[2] === childFlag) {
  await memoryChild(process.argv[3]!, process.argv[4]!, process.argv[5]!);
} else if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await benchNormalize();
}
