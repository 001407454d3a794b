/**
 * Agent overhead: CPU time and memory per poll for the agent's own work, as ratios against baselines measured in the
 * same run. Absolute numbers are printed too but depend on the machine.
 *
 *   parse, 8-GPU nvidia-smi CSV          vs JSON.parse of the same readings as JSON
 *   parse, 8-GPU dcgm-exporter page      vs JSON.parse of the same readings as JSON
 *   run the (fake) nvidia-smi            vs spawning `true`      (a real nvidia-smi also pays for NVML init: more)
 *   encode one minute (6 polls) to gzip  vs JSON.stringify of the same batch
 *   the whole bundle, polling 8 GPUs     vs a bare `node` process (RSS) and per-poll CPU
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { buildAgent, agentBundlePath } from '../agent/build.js';
import { buildBatches } from '../agent/src/batch.js';
import { gpuReadingsFromDcgmText } from '../agent/src/dcgm-exporter.js';
import { parseNvidiaSmiCsv } from '../agent/src/nvidia-smi.js';
import { parsePrometheusText } from '../agent/src/prometheus-text.js';
import type { GpuSample } from '../agent/src/wire.js';
import { startFakeNvidiaSmi, startIngestServer, startMetricsServer } from '../test/agent/harness.js';
import { fmt, report } from './harness.js';

const fixtures = fileURLToPath(new URL('../agent/fixtures/', import.meta.url));
const read = (name: string) => fs.readFileSync(path.join(fixtures, name), 'utf8');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

interface Cost {
  /** CPU (user + system) microseconds per operation. */
  cpuUs: number;
  /** Heap bytes still held per operation when its results are kept (what one poll's readings cost to hold). */
  retainedBytes: number;
}

/** CPU per call over at least `minMs` of work, and heap retained per call when `keep` results are held. */
function measure(fn: () => unknown, minMs = 800, keep = 200): Cost {
  for (let i = 0; i < 50; i++) fn();
  let iterations = 0;
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() - wallStart < minMs) {
    for (let i = 0; i < 20; i++) fn();
    iterations += 20;
  }
  const cpu = process.cpuUsage(cpuStart);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const held: unknown[] = [];
  for (let i = 0; i < keep; i++) held.push(fn());
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  held.length = 0;
  return { cpuUs: (cpu.user + cpu.system) / iterations, retainedBytes: Math.max(0, heapAfter - heapBefore) / keep };
}

async function spawnCost(command: string, args: string[], env: NodeJS.ProcessEnv, runs = 40): Promise<number> {
  const run = () => new Promise<void>((resolve, reject) => execFile(command, args, { env }, (err) => (err ? reject(err) : resolve())));
  for (let i = 0; i < 5; i++) await run();
  const start = performance.now();
  for (let i = 0; i < runs; i++) await run();
  return ((performance.now() - start) / runs) * 1000;
}

function ratio(a: number, b: number): string {
  return `${fmt(a / b, 2)}x`;
}

/** RSS of a process at exit, read from its last JSON log line or its stdout. */
function runNode(args: string[], env: NodeJS.ProcessEnv, killAfterMs?: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    if (killAfterMs) setTimeout(() => child.kill('SIGTERM'), killAfterMs);
    child.on('exit', () => resolve({ stdout, stderr }));
  });
}

async function wholeAgent(seconds: number, pollSeconds: number) {
  const dcgm = await startMetricsServer({ fixture: 'dcgm-exporter-h100-80gb-hbm3-x8.prom' });
  const smi = startFakeNvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv' });
  const ingest = await startIngestServer();
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-agent-spool-'));
  const base = {
    PATH: smi.path,
    LEDGER_URL: ingest.url,
    LEDGER_TOKEN: ingest.token,
    LEDGER_AGENT_PROVIDER: 'none',
    LEDGER_AGENT_SPOOL_DIR: spool,
    LEDGER_AGENT_POLL_INTERVAL_SECONDS: String(pollSeconds),
    LEDGER_AGENT_FLUSH_INTERVAL_SECONDS: '1',
    LEDGER_AGENT_LOG_LEVEL: 'info',
  };
  const results: Record<string, { polls: number; cpuMs: number; childCpuMs: number; startupCpuMs: number; rss: number }> = {};
  for (const [name, env] of [
    ['dcgm-exporter', { ...base, LEDGER_AGENT_DCGM_URL: dcgm.url }],
    ['nvidia-smi', { ...base, LEDGER_AGENT_DCGM_URL: '' }],
  ] as const) {
    const { stderr } = await runNode([agentBundlePath], env, seconds * 1000);
    type Usage = { cpuUserMs: number; cpuSystemMs: number; childrenCpuMs?: number; rssBytes: number };
    const lines = stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; stats: { polls: number }; self: Usage });
    const firstFlush = lines.find((l) => l.msg === 'flush');
    const stopped = lines.find((l) => l.msg === 'stopped');
    if (!firstFlush || !stopped) throw new Error(`agent did not flush and stop cleanly:\n${stderr.slice(-2000)}`);
    const cpu = (u: Usage) => u.cpuUserMs + u.cpuSystemMs;
    // Steady state: from the first flush to the end, so that Node's startup is not charged to the polls.
    results[name] = {
      polls: stopped.stats.polls - firstFlush.stats.polls,
      cpuMs: cpu(stopped.self) - cpu(firstFlush.self),
      childCpuMs: (stopped.self.childrenCpuMs ?? 0) - (firstFlush.self.childrenCpuMs ?? 0),
      startupCpuMs: cpu(firstFlush.self),
      rss: stopped.self.rssBytes,
    };
  }
  const bare = await runNode(
    ['-e', `setTimeout(() => { const u = process.cpuUsage(); console.log(JSON.stringify({ rss: process.memoryUsage().rss, cpuMs: (u.user + u.system) / 1000 })); }, ${seconds * 1000})`],
    { PATH: process.env.PATH },
  );
  const bareNode = JSON.parse(bare.stdout) as { rss: number; cpuMs: number };
  await dcgm.close();
  await ingest.close();
  smi.cleanup();
  fs.rmSync(spool, { recursive: true, force: true });
  return { results, bareNode, batches: ingest.batches.length };
}

export async function benchAgent(): Promise<void> {
  const smiText = read('nvidia-smi-h100-80gb-hbm3-x8.csv');
  const dcgmText = read('dcgm-exporter-h100-80gb-hbm3-x8.prom');
  const smiJson = JSON.stringify(parseNvidiaSmiCsv(smiText).gpus);
  const dcgmJson = JSON.stringify(gpuReadingsFromDcgmText(dcgmText).gpus);

  const smiParse = measure(() => parseNvidiaSmiCsv(smiText));
  const smiBase = measure(() => JSON.parse(smiJson));
  const dcgmParse = measure(() => gpuReadingsFromDcgmText(dcgmText));
  const dcgmBase = measure(() => JSON.parse(dcgmJson));
  // The page's own content (every series with its labels) as JSON: the input-sized baseline.
  const pageJson = JSON.stringify(parsePrometheusText(dcgmText).samples);
  const pageBase = measure(() => JSON.parse(pageJson));

  // One minute at the default 10 s poll: 6 polls x 8 GPUs with the dcgm fields.
  const gpus = gpuReadingsFromDcgmText(dcgmText).gpus;
  const minute: GpuSample[] = [];
  for (let p = 0; p < 6; p++) {
    const time = new Date(Date.UTC(2026, 10, 23, 10, 0, p * 10)).toISOString();
    for (const g of gpus) minute.push({ time, gpu: { index: g.index, uuid: g.uuid, model: g.model }, fields: g.fields });
  }
  const host = { hostId: 'ip-10-0-12-34', instanceId: 'i-0a1b2c3d4e5f67890', instanceType: 'p5.48xlarge', provider: 'aws' as const, region: 'us-east-1' };
  let seq = 0;
  const limits = { maxSamples: 10_000, maxCompressedBytes: 1 << 20 };
  const encode = measure(() => buildBatches(host, minute, [], limits, () => ++seq), 800, 20);
  const encodeBase = measure(() => JSON.stringify({ batchId: 'x', host, samples: minute }), 800, 20);
  const [batch] = buildBatches(host, minute, [], limits, () => ++seq);
  const rawBytes = JSON.stringify({ batchId: batch!.batchId, host, samples: minute }).length;

  const smi = startFakeNvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv' });
  const spawnSmi = await spawnCost('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader,nounits'], { PATH: smi.path });
  const spawnTrue = await spawnCost('true', [], { PATH: process.env.PATH });
  smi.cleanup();

  report('parse one poll of 8 GPUs (CPU per poll, ratio to JSON.parse of the same readings)', [
    ['nvidia-smi CSV', `${fmt(smiParse.cpuUs, 1)} µs CPU  = ${ratio(smiParse.cpuUs, smiBase.cpuUs)} JSON.parse (${fmt(smiBase.cpuUs, 1)} µs); holds ${fmt(smiParse.retainedBytes)} B vs ${fmt(smiBase.retainedBytes)} B`],
    ['dcgm-exporter page', `${fmt(dcgmParse.cpuUs, 1)} µs CPU  = ${ratio(dcgmParse.cpuUs, dcgmBase.cpuUs)} JSON.parse (${fmt(dcgmBase.cpuUs, 1)} µs); holds ${fmt(dcgmParse.retainedBytes)} B vs ${fmt(dcgmBase.retainedBytes)} B`],
    ['dcgm page, input-sized', `${ratio(dcgmParse.cpuUs, pageBase.cpuUs)} JSON.parse of the page's series as JSON (${fmt(pageBase.cpuUs, 1)} µs, ${fmt(pageJson.length)} B); the page is ${fmt(dcgmText.length)} B of text`],
  ]);
  report('run nvidia-smi once (wall per run, ratio to spawning `true`)', [
    ['fake nvidia-smi (sh + sed)', `${fmt(spawnSmi)} µs = ${ratio(spawnSmi, spawnTrue)} spawn of true (${fmt(spawnTrue)} µs)`],
    ['note', 'a real nvidia-smi initialises NVML: typically tens of ms; dcgm-exporter avoids the spawn'],
  ]);
  report('encode one minute at the default poll (6 polls x 8 GPUs) into a gzip batch', [
    ['buildBatches (JSON + gzip)', `${fmt(encode.cpuUs)} µs CPU = ${ratio(encode.cpuUs, encodeBase.cpuUs)} JSON.stringify alone (${fmt(encodeBase.cpuUs)} µs)`],
    ['bytes', `${fmt(rawBytes)} B JSON -> ${fmt(batch!.body.length)} B gzip (${fmt(rawBytes / batch!.body.length, 1)}x)`],
  ]);

  await buildAgent();
  const seconds = 8;
  const poll = 0.2;
  const whole = await wholeAgent(seconds, poll);
  const rows: [string, string][] = [];
  for (const [name, r] of Object.entries(whole.results)) {
    rows.push([
      `${name} source`,
      `${fmt((r.cpuMs / r.polls) * 1000)} µs agent CPU + ${fmt((r.childCpuMs / r.polls) * 1000)} µs nvidia-smi CPU per poll (${r.polls} polls, batches included); RSS ${fmt(r.rss / 2 ** 20, 1)} MiB = ${ratio(r.rss, whole.bareNode.rss)} bare node; startup ${fmt(r.startupCpuMs)} ms CPU`,
    ]);
  }
  rows.push(['bare node (same time)', `RSS ${fmt(whole.bareNode.rss / 2 ** 20, 1)} MiB, ${fmt(whole.bareNode.cpuMs)} ms CPU`]);
  const perPollMs = (r: { cpuMs: number; childCpuMs: number; polls: number }) => (r.cpuMs + r.childCpuMs) / r.polls;
  const dcgmPoll = perPollMs(whole.results['dcgm-exporter']!);
  rows.push([
    'at the default 10 s poll',
    `~${fmt((360 * dcgmPoll) / 1000, 2)} s CPU per hour with dcgm-exporter = ${fmt((dcgmPoll / 10_000) * 100, 4)} % of one core (this bench polls 50x faster and flushes 60x more often, so per-poll costs include more batching)`,
  ]);
  report(`whole agent bundle, 8 x H100, poll every ${poll} s, flush every 1 s (${os.cpus().length} CPUs, ${process.version})`, rows);
}

const invokedDirectly = process.argv[1] !== undefined && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url;
if (invokedDirectly) await benchAgent();
