/**
 * The REAL agent bundle (agent/dist/agent.mjs, built by agent/build.ts) run as a child process against a fake
 * nvidia-smi on PATH, a fake dcgm-exporter, a fake vLLM page and a recording server that implements the ingest contract.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentBundlePath } from '../../agent/build.js';
import {
  agentEnv,
  agentFixture,
  ensureAgentBuilt,
  runAgent,
  startFakeDcgmExporter,
  startFakeNvidiaSmi,
  startFakeVllm,
  startIngestServer,
  tempDir,
  waitFor,
  type AgentProcess,
  type FakeMetricsServer,
  type FakeNvidiaSmi,
  type RecordingIngestServer,
} from './harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function ingest(): Promise<RecordingIngestServer> {
  const s = await startIngestServer();
  cleanups.push(() => s.close());
  return s;
}
function nvidiaSmi(initial: { fixture?: string; output?: string; exitCode?: number }): FakeNvidiaSmi {
  const f = startFakeNvidiaSmi(initial);
  cleanups.push(() => f.cleanup());
  return f;
}
async function metrics(start: () => Promise<FakeMetricsServer>): Promise<FakeMetricsServer> {
  const m = await start();
  cleanups.push(() => m.close());
  return m;
}
function spoolDir(): string {
  const d = tempDir('agent-spool-');
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}
async function agent(options: Parameters<typeof runAgent>[0]): Promise<AgentProcess> {
  const a = await runAgent(options);
  cleanups.push(async () => {
    if (a.child.exitCode === null && a.child.signalCode === null) {
      a.kill('SIGKILL');
      await a.exited;
    }
  });
  return a;
}
function seqOf(batchId: string): number {
  return Number(batchId.split('-').pop());
}

/** Two GPUs; GPU 0 reports the invocation number of the fake nvidia-smi as its SM clock, so every poll is traceable. */
const COUNTING_OUTPUT = [
  '0, GPU-11111111-2222-3333-4444-555555555555, NVIDIA H100 80GB HBM3, 50, 1000, 81559, 300.50, 50, {{seq}}, 0',
  '1, GPU-66666666-7777-8888-9999-000000000000, NVIDIA H100 80GB HBM3, 10, 2000, 81559, 120.25, 40, 1755, 0',
  '',
].join('\n');

function clocksOfGpu0(server: RecordingIngestServer): number[] {
  return server
    .samples()
    .filter((s) => s.gpu.index === 0)
    .map((s) => s.fields.DCGM_FI_DEV_SM_CLOCK!);
}

beforeAll(async () => {
  await ensureAgentBuilt();
}, 60_000);

describe('agent bundle', () => {
  it('is one executable ES module with a shebang, runnable as the package bin', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(agentBundlePath), '..', 'package.json'), 'utf8'));
    expect(pkg.name).toBe('compute-ledger-agent');
    expect(pkg.bin['compute-ledger-agent']).toBe('dist/agent.mjs');
    const text = fs.readFileSync(agentBundlePath, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // Node built-ins only: no bare imports of packages.
    const imports = [...text.matchAll(/^import .* from "([^"]+)";?$/gm)].map((m) => m[1]);
    expect(imports.every((i) => i!.startsWith('node:'))).toBe(true);
    expect(fs.statSync(agentBundlePath).mode & 0o111).not.toBe(0);
    const a = await agent({ args: ['--version'], env: { PATH: process.env.PATH } });
    expect((await a.exited).code).toBe(0);
    expect(a.stdout().trim()).toBe(pkg.version);
  });

  it('exits 3 with every configuration problem listed', async () => {
    const a = await agent({ args: ['--poll-interval-seconds', '-1'], env: { PATH: process.env.PATH } });
    expect((await a.exited).code).toBe(3);
    const line = a.logs().find((l) => l.msg === 'invalid configuration')!;
    expect(line.problems).toEqual([
      'pollIntervalSeconds must be at least 0.01',
      'url is required (--url or LEDGER_URL)',
      'token is required (LEDGER_TOKEN, --token-file or --token)',
    ]);
  });
});

describe('collection and the wire format', () => {
  it('--once: nvidia-smi readings arrive under DCGM names, gzip, with the bearer token', async () => {
    const server = await ingest();
    const smi = nvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv' });
    const a = await agent({ args: ['--once'], env: agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: spoolDir() }) });
    expect((await a.exited).code).toBe(0);
    // One query; the MIG listing and one dmon for GPM (which the fake answers with "Not supported").
    expect([...smi.calls()].sort()).toEqual([
      '--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu,clocks.sm,ecc.errors.uncorrected.volatile.total --format=csv,noheader,nounits',
      '-L',
      'dmon --gpm-metrics 1,2,3,5,10 -d 1',
    ]);
    expect(server.attempts).toHaveLength(1);
    const attempt = server.attempts[0]!;
    expect(attempt.status).toBe(202);
    expect(attempt.headers.authorization).toBe(`Bearer ${server.token}`);
    expect(attempt.headers['content-type']).toBe('application/json');
    expect(attempt.headers['content-encoding']).toBe('gzip');
    expect(attempt.headers['user-agent']).toBe('compute-ledger-agent/0.1.0');
    const [batch] = server.batches;
    expect(batch!.batchId).toMatch(/^test-host-1-\d{13}-1$/);
    expect(Number(batch!.batchId.split('-')[3])).toBe(Date.parse(String(batch!.samples[0]!.time)));
    expect(batch!.host).toEqual({ hostId: 'test-host-1' });
    expect(batch!.samples).toHaveLength(8);
    expect(batch!.samples[0]).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      gpu: { index: 0, uuid: 'GPU-3f1a9c2e-7b4d-5e86-a0c1-2d9e8f7b6a51', model: 'NVIDIA H100 80GB HBM3' },
      fields: {
        DCGM_FI_DEV_GPU_UTIL: 97,
        DCGM_FI_DEV_FB_USED: 74812,
        DCGM_FI_DEV_FB_FREE: 6747,
        DCGM_FI_DEV_POWER_USAGE: 688.21,
        DCGM_FI_DEV_GPU_TEMP: 64,
        DCGM_FI_DEV_SM_CLOCK: 1980,
        DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: 0,
      },
    });
    expect(batch!.samples[7]!.fields.DCGM_FI_DEV_ECC_DBE_VOL_TOTAL).toBe(2);
    expect(a.stderr()).not.toContain(server.token);
  });

  it('prefers dcgm-exporter (SM active) over nvidia-smi, falls back when it fails, and adds vLLM readings', async () => {
    const server = await ingest();
    const smi = nvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv' });
    const dcgm = await metrics(() => startFakeDcgmExporter('dcgm-exporter-h100-80gb-hbm3-x8.prom'));
    const vllm = await metrics(() => startFakeVllm());
    const env = agentEnv({
      ingest: server,
      nvidiaSmi: smi,
      dcgmUrl: dcgm.url,
      spoolDir: spoolDir(),
      extra: { LEDGER_AGENT_INFERENCE_URLS: vllm.url },
    });
    const first = await agent({ args: ['--once'], env });
    expect((await first.exited).code).toBe(0);
    expect(smi.callCount()).toBe(0);
    const batch = server.batches[0]!;
    expect(batch.samples).toHaveLength(8);
    expect(batch.samples[0]!.fields).toMatchObject({
      DCGM_FI_PROF_SM_ACTIVE: 0.912344,
      DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: 412938177215,
    });
    expect(batch.inference).toEqual([
      expect.objectContaining({
        server: vllm.url,
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        promptTokensTotal: 24778464,
        generationTokensTotal: 6517988,
        requestsRunning: 12,
        latencyCount: 24878,
      }),
    ]);
    expect(batch.inference![0]!.time).toBe(batch.samples[0]!.time);

    dcgm.setStatus(503);
    const second = await agent({ args: ['--once'], env });
    expect((await second.exited).code).toBe(0);
    expect(smi.callCount()).toBe(1);
    expect(server.batches[1]!.samples[0]!.fields).not.toHaveProperty('DCGM_FI_PROF_SM_ACTIVE');
    expect(server.batches[1]!.samples[0]!.fields.DCGM_FI_DEV_GPU_UTIL).toBe(97);
    expect(second.logs().some((l) => l.msg === 'dcgm-exporter unavailable')).toBe(true);
  });

  it('MIG instances from dcgm-exporter arrive as one sample each under the parent index', async () => {
    const server = await ingest();
    const dcgm = await metrics(() => startFakeDcgmExporter('dcgm-exporter-a100-sxm4-40gb-mig.prom'));
    const a = await agent({
      args: ['--once'],
      env: agentEnv({ ingest: server, dcgmUrl: dcgm.url, spoolDir: spoolDir(), extra: { LEDGER_AGENT_SOURCE: 'dcgm' } }),
    });
    expect((await a.exited).code).toBe(0);
    expect(server.samples().map((s) => s.gpu)).toEqual([
      { index: 0, uuid: 'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b/gi1', model: 'NVIDIA A100-SXM4-40GB MIG 3g.20gb' },
      { index: 0, uuid: 'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b/gi2', model: 'NVIDIA A100-SXM4-40GB MIG 3g.20gb' },
      { index: 1, uuid: 'GPU-6b5a4c3d-2e1f-0a9b-8c7d-6e5f4a3b2c1d', model: 'NVIDIA A100-SXM4-40GB' },
    ]);
  });

  it('GPUs that vanish and come back between polls', async () => {
    const server = await ingest();
    const smi = nvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv' });
    const a = await agent({
      env: agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: spoolDir(), pollIntervalSeconds: 0.05, flushIntervalSeconds: 0.2 }),
    });
    await waitFor(() => smi.callCount() >= 3, { what: 'three polls' });
    smi.set({ fixture: 'nvidia-smi-h100-80gb-hbm3-gpu-lost.csv', exitCode: 15 });
    const afterLoss = smi.callCount();
    await waitFor(() => smi.callCount() >= afterLoss + 3, { what: 'polls with a lost GPU' });
    smi.set({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv', exitCode: 0 });
    const afterReturn = smi.callCount();
    await waitFor(() => smi.callCount() >= afterReturn + 3, { what: 'polls after the GPU came back' });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    // Group samples by poll time: 8 GPUs, then 7 (index 2 missing), then 8 again.
    const perPoll = new Map<string, number[]>();
    for (const s of server.samples()) perPoll.set(String(s.time), [...(perPoll.get(String(s.time)) ?? []), s.gpu.index]);
    const shapes = [...perPoll.values()].map((indexes) => (indexes.length === 8 ? 'all' : indexes.join(',')));
    const collapsed = shapes.filter((s, i) => i === 0 || s !== shapes[i - 1]);
    expect(collapsed).toEqual(['all', '0,1,3,4,5,6,7', 'all']);
    const changes = a.logs().filter((l) => l.msg === 'GPU set changed');
    expect(changes.map((l) => [l.vanished, l.appeared])).toEqual([
      [['GPU-a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'], []],
      [[], ['GPU-a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d']],
    ]);
    const problems = a.logs().filter((l) => l.msg === 'nvidia-smi reported a problem; using the rows it printed');
    expect(problems.map((l) => [l.exitCode, l.gpus, l.problem])).toEqual([
      [15, 7, 'Unable to determine the device handle for GPU 0000:53:00.0: Unknown Error'],
    ]);
  });
});

describe('delivery', () => {
  it('endpoint down for a while, then back: every sample arrives exactly once, in order', async () => {
    const server = await ingest();
    const smi = nvidiaSmi({ output: COUNTING_OUTPUT });
    const spool = spoolDir();
    const a = await agent({
      env: agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: spool, pollIntervalSeconds: 0.05, flushIntervalSeconds: 0.2 }),
    });
    await waitFor(() => server.batches.length >= 2, { what: 'two batches' });
    await server.down();
    await a.waitForLog((l) => l.msg === 'batch delivery failed, will retry' && String(l.reason).includes('ECONNREFUSED'));
    await waitFor(() => fs.readdirSync(spool).length >= 3, { what: 'three spooled batches' });
    await server.up();
    await waitFor(() => fs.readdirSync(spool).length === 0 && server.batches.length >= 6, { what: 'spool drained' });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);

    const polls = smi.callCount();
    const clocks = clocksOfGpu0(server);
    expect(clocks).toEqual(Array.from({ length: polls }, (_, i) => i + 1));
    expect(server.duplicates).toEqual([]);
    const seqs = server.batches.map((b) => seqOf(b.batchId));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const stopped = a.logs().find((l) => l.msg === 'stopped')!;
    expect(stopped.stats).toMatchObject({ samplesSent: polls * 2, batchesDroppedSpoolFull: 0 });
    expect((stopped.stats as { sendFailures: number }).sendFailures).toBeGreaterThan(0);
    expect(a.stderr()).not.toContain(server.token);
  });

  it('a batch stored but answered 503 is sent again with the same batchId and body', async () => {
    const server = await ingest();
    server.storeThenFail(1, 503);
    const smi = nvidiaSmi({ output: COUNTING_OUTPUT });
    const a = await agent({
      env: agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: spoolDir(), pollIntervalSeconds: 0.05, flushIntervalSeconds: 0.2 }),
    });
    await waitFor(() => server.duplicates.length === 1 && server.batches.length >= 3, { what: 'the retried batch and two more' });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    const [first, second] = server.attempts;
    expect(first!.status).toBe(503);
    expect(second!.status).toBe(202);
    expect(second!.batchId).toBe(first!.batchId);
    expect(server.duplicates).toEqual([first!.batchId]);
    expect(Buffer.compare(first!.body!, second!.body!)).toBe(0);
    const delivered = a.logs().find((l) => l.msg === 'batch delivered' && l.batchId === first!.batchId)!;
    expect(delivered.duplicate).toBe(true);
    // The server counted it once: no sample twice.
    expect(clocksOfGpu0(server)).toEqual(Array.from({ length: smi.callCount() }, (_, i) => i + 1));
  });

  it('a full spool drops the OLDEST batches and counts them', async () => {
    const server = await ingest();
    await server.down();
    const smi = nvidiaSmi({ output: COUNTING_OUTPUT });
    const spool = spoolDir();
    const a = await agent({
      env: agentEnv({
        ingest: server,
        nvidiaSmi: smi,
        spoolDir: spool,
        pollIntervalSeconds: 0.05,
        flushIntervalSeconds: 0.1,
        extra: { LEDGER_AGENT_SPOOL_MAX_BATCHES: '3' },
      }),
    });
    await a.waitForLog((l) => l.msg === 'spool full, dropped oldest batches' && (l.totalDroppedBatches as number) >= 3);
    expect(fs.readdirSync(spool).length).toBeLessThanOrEqual(3);
    await server.up();
    await waitFor(() => fs.readdirSync(spool).length === 0 && server.batches.length >= 5, { what: 'spool drained' });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    const seqs = server.batches.map((b) => seqOf(b.batchId));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(seqs).not.toContain(1);
    const missing = Array.from({ length: Math.max(...seqs) }, (_, i) => i + 1).filter((s) => !seqs.includes(s));
    const stopped = a.logs().find((l) => l.msg === 'stopped')!;
    const stats = stopped.stats as { batchesDroppedSpoolFull: number; samplesDroppedSpoolFull: number; samplesSent: number };
    expect(stats.batchesDroppedSpoolFull).toBe(missing.length);
    // What was neither dropped nor sent does not exist: polls × 2 GPUs = sent + dropped.
    expect(stats.samplesSent + stats.samplesDroppedSpoolFull).toBe(smi.callCount() * 2);
    // The samples that did arrive are the newest ones, in order.
    const clocks = clocksOfGpu0(server);
    expect(clocks).toEqual([...clocks].sort((x, y) => x - y));
    expect(clocks[clocks.length - 1]).toBe(smi.callCount());
  });

  it('SIGTERM flushes what is pending; with the endpoint down it spools, and --once replays it first', async () => {
    const server = await ingest();
    const smi = nvidiaSmi({ output: COUNTING_OUTPUT });
    const spool = spoolDir();
    const env = agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: spool, pollIntervalSeconds: 0.05, flushIntervalSeconds: 3600 });
    const a = await agent({ env });
    await waitFor(() => smi.callCount() >= 4, { what: 'four polls' });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    expect(server.batches).toHaveLength(1);
    expect(clocksOfGpu0(server)).toEqual(Array.from({ length: smi.callCount() }, (_, i) => i + 1));
    expect(a.logs().some((l) => l.msg === 'shutting down: flushing' && l.signal === 'SIGTERM')).toBe(true);

    await server.down();
    const b = await agent({ env: { ...env, LEDGER_AGENT_SHUTDOWN_TIMEOUT_SECONDS: '2' } });
    const before = smi.callCount();
    await waitFor(() => smi.callCount() >= before + 3, { what: 'three more polls' });
    const started = Date.now();
    b.kill('SIGINT');
    expect((await b.exited).code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    const files = fs.readdirSync(spool);
    expect(files).toHaveLength(1);
    const spooledId = (JSON.parse(gunzipSync(fs.readFileSync(path.join(spool, files[0]!))).toString()) as { batchId: string }).batchId;

    await server.up();
    const c = await agent({ args: ['--once'], env });
    expect((await c.exited).code).toBe(0);
    expect(server.batches.map((x) => x.batchId).slice(1)).toEqual([spooledId, expect.stringMatching(/^test-host-1-\d+-\d+$/)]);
    expect(seqOf(server.batches[2]!.batchId)).toBeGreaterThan(seqOf(spooledId));
    expect(fs.readdirSync(spool)).toEqual([]);
    expect(clocksOfGpu0(server)).toEqual(Array.from({ length: smi.callCount() }, (_, i) => i + 1));
  });

  it('--once exits non-zero: 2 when rejected (bad token, dropped), 1 when unreachable (spooled)', async () => {
    const server = await ingest();
    const smi = nvidiaSmi({ fixture: 'nvidia-smi-l4-x4.csv' });
    const spool = spoolDir();
    const env = agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: spool });
    const wrongToken = 'wrong-token-must-not-leak';
    const rejected = await agent({ args: ['--once'], env: { ...env, LEDGER_TOKEN: wrongToken } });
    expect((await rejected.exited).code).toBe(2);
    expect(server.attempts.map((x) => x.status)).toEqual([401]);
    expect(rejected.logs().find((l) => l.msg === 'batch rejected by the server, dropped')).toMatchObject({ status: 401, samples: 4 });
    expect(rejected.stderr()).not.toContain(wrongToken);
    expect(fs.readdirSync(spool)).toEqual([]);

    await server.down();
    const unreachable = await agent({ args: ['--once'], env });
    expect((await unreachable.exited).code).toBe(1);
    expect(fs.readdirSync(spool)).toHaveLength(1);
  });

  it('--once with no GPU readable exits 4 and sends nothing', async () => {
    const server = await ingest();
    const smi = nvidiaSmi({ output: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", exitCode: 9 });
    const a = await agent({ args: ['--once'], env: agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: spoolDir() }) });
    expect((await a.exited).code).toBe(4);
    expect(server.attempts).toEqual([]);
    expect(a.logs().find((l) => l.msg === 'nvidia-smi unavailable')!.error).toContain("couldn't communicate with the NVIDIA driver");
  });
});

describe('fixtures run through the agent', () => {
  it.each([
    ['nvidia-smi-a100-sxm4-40gb-x8.csv', 8, 'NVIDIA A100-SXM4-40GB'],
    ['nvidia-smi-l4-x4.csv', 4, 'NVIDIA L4'],
    ['nvidia-smi-a10g-x1-with-header-and-units.csv', 1, 'NVIDIA A10G'],
    ['nvidia-smi-t4-x1.csv', 1, 'Tesla T4'],
  ])('%s', async (fixtureName, gpus, model) => {
    const server = await ingest();
    const smi = nvidiaSmi({ fixture: fixtureName });
    const a = await agent({ args: ['--once'], env: agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: spoolDir() }) });
    expect((await a.exited).code).toBe(0);
    const samples = server.samples();
    expect(samples).toHaveLength(gpus);
    expect(new Set(samples.map((s) => s.gpu.model))).toEqual(new Set([model]));
    const firstRow = agentFixture(fixtureName)
      .split('\n')
      .find((l) => /^0, /.test(l))!;
    const used = Number(firstRow.split(', ')[4]!.replace(' MiB', ''));
    expect(samples[0]!.fields.DCGM_FI_DEV_FB_USED).toBe(used);
  });
});
