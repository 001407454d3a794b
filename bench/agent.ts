/**
 * Agent overhead: CPU time and memory per poll for the agent's own work, as ratios against baselines measured in the
 * same run. Absolute numbers are printed too but depend on the machine.
 *
 *   parse, 8-GPU nvidia-smi CSV          vs JSON.parse of the same readings as JSON
 *   parse, 8-GPU dcgm-exporter page      vs JSON.parse of the same readings as JSON
 *   run the (fake) nvidia-smi            vs spawning `true`      (a real nvidia-smi also pays for NVML init: more)
 *   encode one minute (6 polls) to gzip  vs JSON.stringify of the same batch
 *   the whole bundle, polling 8 GPUs     vs a bare `node` process (RSS) and per-poll CPU
 *   the whole bundle with GPM            vs the same with `--gpm off`, run side by side over the same wall time: CPU per
 *                                        hour of the agent and of its children (the dmon child streaming 8 rows a second
 *                                        at -d 1), and RSS
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
import { startFakeNvidiaSmi, startIngestServer, startMetricsServer, type FakeNvidiaSmi } from '../test/agent/harness.js';
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
    [
      '-e',
      `setTimeout(() => { const u = process.cpuUsage(); console.log(JSON.stringify({ rss: process.memoryUsage().rss, cpuMs: (u.user + u.system) / 1000 })); }, ${seconds * 1000})`,
    ],
    { PATH: process.env.PATH },
  );
  const bareNode = JSON.parse(bare.stdout) as { rss: number; cpuMs: number };
  await dcgm.close();
  await ingest.close();
  smi.cleanup();
  fs.rmSync(spool, { recursive: true, force: true });
  return { results, bareNode, batches: ingest.batches.length };
}

/**
 * CPU and RSS of a live process, from /proc (Linux): its own CPU summed over its threads from schedstat (nanoseconds),
 * the CPU of the children it waited for from stat's cutime + cstime (USER_HZ = 100).
 */
function procUsage(pid: number | undefined): { ownMs: number; childrenMs: number; rssBytes: number } {
  if (pid === undefined) return { ownMs: 0, childrenMs: 0, rssBytes: 0 };
  try {
    let ownNs = 0;
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      ownNs += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    }
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { ownMs: ownNs / 1e6, childrenMs: (Number(f[13]) + Number(f[14])) * 10, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
  } catch {
    return { ownMs: 0, childrenMs: 0, rssBytes: 0 };
  }
}

/** The half-busy H200 dmon stream, for 8 GPUs: each interval prints one row per device, as dmon does. */
function eightGpuDmonStream(): string {
  const lines = read('nvidia-smi-dmon-h200-gpm-half-busy.txt').split('\n').filter(Boolean);
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) out.push(line);
    else for (let gpu = 0; gpu < 8; gpu++) out.push(line.replace(/^\s*0/, `    ${gpu}`));
  }
  return `${out.join('\n')}\n`;
}

interface GpmRun {
  gpm: 'auto' | 'off';
  agentCpuMs: number;
  /** nvidia-smi --query-gpu children the agent waited for. */
  queryCpuMs: number;
  /** The long-lived dmon child (and what it ran). */
  dmonCpuMs: number;
  agentRss: number;
  dmonRss: number;
  polls: number;
  gpmRows: number;
  windowMs: number;
}

/** Two agents side by side, `--gpm auto` (dmon at -d 1) and `--gpm off`, measured over the same window. */
async function gpmOverhead(warmupSeconds: number, windowSeconds: number, pollSeconds: number): Promise<GpmRun[]> {
  const ingest = await startIngestServer();
  const stream = eightGpuDmonStream();
  const one = async (gpm: 'auto' | 'off'): Promise<GpmRun> => {
    const smi: FakeNvidiaSmi = startFakeNvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv' });
    smi.setDmon({ mode: 'stream', text: stream, rowsPerInterval: 8 }); // honours -d 1
    const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-agent-gpm-'));
    const child = spawn(process.execPath, [agentBundlePath], {
      env: {
        PATH: smi.path,
        LEDGER_URL: ingest.url,
        LEDGER_TOKEN: ingest.token,
        LEDGER_AGENT_PROVIDER: 'none',
        LEDGER_AGENT_DCGM_URL: '',
        LEDGER_AGENT_SPOOL_DIR: spool,
        LEDGER_AGENT_GPM: gpm,
        LEDGER_AGENT_POLL_INTERVAL_SECONDS: String(pollSeconds),
        LEDGER_AGENT_FLUSH_INTERVAL_SECONDS: '10',
        LEDGER_AGENT_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
    const dmonPid = () => smi.dmonPids().at(-1);
    const a0 = procUsage(child.pid);
    const d0 = procUsage(dmonPid());
    const started = performance.now();
    await new Promise((r) => setTimeout(r, windowSeconds * 1000));
    const a1 = procUsage(child.pid);
    const d1 = procUsage(dmonPid());
    const windowMs = performance.now() - started;
    child.kill('SIGTERM');
    await exited;
    smi.cleanup();
    fs.rmSync(spool, { recursive: true, force: true });
    const stopped = stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; stats?: { polls: number; gpmRows: number; gpmRestarts: number } })
      .find((l) => l.msg === 'stopped');
    if (!stopped?.stats) throw new Error(`agent (gpm ${gpm}) did not stop cleanly:\n${stderr.slice(-2000)}`);
    if (stopped.stats.gpmRestarts > 0) throw new Error(`dmon restarted during the gpm ${gpm} run`);
    return {
      gpm,
      agentCpuMs: a1.ownMs - a0.ownMs,
      queryCpuMs: a1.childrenMs - a0.childrenMs,
      dmonCpuMs: d1.ownMs + d1.childrenMs - (d0.ownMs + d0.childrenMs),
      agentRss: a1.rssBytes,
      dmonRss: d1.rssBytes,
      polls: stopped.stats.polls,
      gpmRows: stopped.stats.gpmRows,
      windowMs,
    };
  };
  const runs = await Promise.all([one('auto'), one('off')]);
  await ingest.close();
  return runs;
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
  const host = {
    hostId: 'ip-10-0-12-34',
    instanceId: 'i-0a1b2c3d4e5f67890',
    instanceType: 'p5.48xlarge',
    provider: 'aws' as const,
    region: 'us-east-1',
  };
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
    [
      'nvidia-smi CSV',
      `${fmt(smiParse.cpuUs, 1)} µs CPU  = ${ratio(smiParse.cpuUs, smiBase.cpuUs)} JSON.parse (${fmt(smiBase.cpuUs, 1)} µs); holds ${fmt(smiParse.retainedBytes)} B vs ${fmt(smiBase.retainedBytes)} B`,
    ],
    [
      'dcgm-exporter page',
      `${fmt(dcgmParse.cpuUs, 1)} µs CPU  = ${ratio(dcgmParse.cpuUs, dcgmBase.cpuUs)} JSON.parse (${fmt(dcgmBase.cpuUs, 1)} µs); holds ${fmt(dcgmParse.retainedBytes)} B vs ${fmt(dcgmBase.retainedBytes)} B`,
    ],
    [
      'dcgm page, input-sized',
      `${ratio(dcgmParse.cpuUs, pageBase.cpuUs)} JSON.parse of the page's series as JSON (${fmt(pageBase.cpuUs, 1)} µs, ${fmt(pageJson.length)} B); the page is ${fmt(dcgmText.length)} B of text`,
    ],
  ]);
  report('run nvidia-smi once (wall per run, ratio to spawning `true`)', [
    ['fake nvidia-smi (sh + sed)', `${fmt(spawnSmi)} µs = ${ratio(spawnSmi, spawnTrue)} spawn of true (${fmt(spawnTrue)} µs)`],
    ['note', 'a real nvidia-smi initialises NVML: typically tens of ms; dcgm-exporter avoids the spawn'],
  ]);
  report('encode one minute at the default poll (6 polls x 8 GPUs) into a gzip batch', [
    [
      'buildBatches (JSON + gzip)',
      `${fmt(encode.cpuUs)} µs CPU = ${ratio(encode.cpuUs, encodeBase.cpuUs)} JSON.stringify alone (${fmt(encodeBase.cpuUs)} µs)`,
    ],
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

  // The default poll (10 s): the window (2 s to 22 s after start) holds the same two polls and flushes in both runs.
  const gpmPoll = 10;
  const gpmWindow = 20;
  const [on, off] = await gpmOverhead(2, gpmWindow, gpmPoll);
  const perHour = (ms: number, r: GpmRun) => (ms / r.windowMs) * 3600; // seconds of CPU per hour
  const gpmRows: [string, string][] = [];
  for (const r of [on!, off!]) {
    gpmRows.push([
      `gpm ${r.gpm}`,
      `${fmt(perHour(r.agentCpuMs, r), 1)} s/h agent + ${fmt(perHour(r.queryCpuMs, r), 1)} s/h --query-gpu children + ${fmt(perHour(r.dmonCpuMs, r), 1)} s/h dmon child = ${fmt(perHour(r.agentCpuMs + r.queryCpuMs + r.dmonCpuMs, r), 1)} s/h; RSS agent ${fmt(r.agentRss / 2 ** 20, 1)} MiB${r.dmonRss ? `, dmon ${fmt(r.dmonRss / 2 ** 20, 1)} MiB` : ''} (${r.gpmRows} dmon rows)`,
    ]);
  }
  const total = (r: GpmRun) => r.agentCpuMs + r.queryCpuMs + r.dmonCpuMs;
  gpmRows.push(['ratio, agent process', `${ratio(on!.agentCpuMs, off!.agentCpuMs)} (gpm auto / gpm off)`]);
  gpmRows.push(['ratio, agent + children', `${ratio(total(on!), total(off!))}; RSS ${ratio(on!.agentRss + on!.dmonRss, off!.agentRss)}`]);
  gpmRows.push(['note', 'the dmon child here is a shell fake (one sleep per second); a real nvidia-smi dmon is one process holding NVML']);
  report(
    `whole bundle with GPM (dmon -d 1, 8 rows/s) vs --gpm off, side by side for ${gpmWindow} s, poll every ${gpmPoll} s, flush every 10 s`,
    gpmRows,
  );
}

const invokedDirectly = process.argv[1] !== undefined && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url;
if (invokedDirectly) await benchAgent();
