/**
 * GPM through the REAL agent bundle: the fake nvidia-smi answers `--query-gpu`, `-L`, plain `nvidia-smi` and a
 * STREAMING `dmon` (one row per interval, from the dmon fixtures), and the recording ingest server checks the contract.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  agentEnv,
  agentTestScope,
  ensureAgentBuilt,
  latestStats,
  processGroupMembers,
  waitFor,
  type AgentProcess,
  type FakeNvidiaSmi,
  type ReceivedSample,
  type RecordingIngestServer,
} from './harness.js';

const scope = agentTestScope();
afterEach(() => scope.cleanup());
beforeAll(async () => {
  await ensureAgentBuilt();
}, 60_000);

const SM = 'DCGM_FI_PROF_SM_ACTIVE';
const GR = 'DCGM_FI_PROF_GR_ENGINE_ACTIVE';
const OCC = 'DCGM_FI_PROF_SM_OCCUPANCY';
const TENSOR = 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE';
const DRAM = 'DCGM_FI_PROF_DRAM_ACTIVE';
const DMON_CALL = 'dmon --gpm-metrics 1,2,3,5,10 -d 1';

/** What `--query-gpu` gives for the H200 (nvidia-smi-h200-x1.csv), unchanged by GPM. */
const H200_QUERY_FIELDS = {
  DCGM_FI_DEV_GPU_UTIL: 98,
  DCGM_FI_DEV_FB_USED: 52318,
  DCGM_FI_DEV_FB_FREE: 143771 - 52318,
  DCGM_FI_DEV_POWER_USAGE: 435.12,
  DCGM_FI_DEV_GPU_TEMP: 50,
  DCGM_FI_DEV_SM_CLOCK: 1980,
  DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: 0,
};

/** An H200 busy half the time: utilization.gpu 98, GPM SM activity 38-40 % (nvidia-smi-dmon-h200-gpm-half-busy.txt). */
function halfBusyH200(dmon: Parameters<FakeNvidiaSmi['setDmon']>[0] = {}): FakeNvidiaSmi {
  const smi = scope.nvidiaSmi({ fixture: 'nvidia-smi-h200-x1.csv' });
  smi.setDmon({ mode: 'stream', fixture: 'nvidia-smi-dmon-h200-gpm-half-busy.txt', intervalSeconds: 0.1, ...dmon });
  return smi;
}

async function loopAgent(server: RecordingIngestServer, smi: FakeNvidiaSmi, extra: Record<string, string> = {}): Promise<AgentProcess> {
  return scope.agent({
    env: agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: scope.dir(), pollIntervalSeconds: 0.1, flushIntervalSeconds: 0.2, extra }),
  });
}

const withGpm = (server: RecordingIngestServer) => server.samples().filter((s) => s.fields[SM] !== undefined);
const dmonCalls = (smi: FakeNvidiaSmi) => smi.calls().filter((c) => c.startsWith('dmon'));

/** Every GPM value of the half-busy stream is in these ranges (the fixture's rows: gract 38-40, smutil 38-40, …). */
function expectHalfBusy(s: ReceivedSample): void {
  expect(s.fields[SM]).toBeGreaterThanOrEqual(0.38);
  expect(s.fields[SM]).toBeLessThanOrEqual(0.4);
  expect(s.fields[GR]).toBeGreaterThanOrEqual(0.38);
  expect(s.fields[GR]).toBeLessThanOrEqual(0.4);
  expect(s.fields[TENSOR]).toBeGreaterThanOrEqual(0.37);
  expect(s.fields[TENSOR]).toBeLessThanOrEqual(0.39);
  expect(s.fields[OCC]).toBe(0.05);
  expect(s.fields).toMatchObject(H200_QUERY_FIELDS);
}

describe('GPM from a long-lived nvidia-smi dmon', () => {
  it('--once on a half-busy H200: SM active ≈ 0.39 beside utilization.gpu 98', async () => {
    const server = await scope.ingest();
    const smi = halfBusyH200();
    const a = await scope.agent({ args: ['--once'], env: agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: scope.dir() }) });
    expect((await a.exited).code).toBe(0);
    const [sample] = server.samples();
    expect(server.samples()).toHaveLength(1);
    expect(sample!.gpu).toEqual({ index: 0, uuid: 'GPU-7c2e9a41-5d3b-4f86-b0a2-9e1d3c5f7a28', model: 'NVIDIA H200' });
    expectHalfBusy(sample!);
    expect(Object.keys(sample!.fields).sort()).toEqual([...Object.keys(H200_QUERY_FIELDS), SM, GR, OCC, TENSOR].sort());
    expect(dmonCalls(smi)).toEqual([DMON_CALL]);
    // --once leaves nothing running.
    expect(processGroupMembers(smi.dmonPids()[0]!)).toEqual([]);
  });

  it('polling: one dmon for the whole run, each poll gets the mean of the rows since the last, never a repeat', async () => {
    const server = await scope.ingest();
    const smi = halfBusyH200();
    const a = await loopAgent(server, smi);
    await waitFor(() => withGpm(server).length >= 8, { what: 'eight samples with GPM' });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    for (const s of withGpm(server)) expectHalfBusy(s);
    expect(dmonCalls(smi)).toEqual([DMON_CALL]);
    const stats = latestStats(a)!;
    expect(stats.gpmRestarts).toBe(0);
    expect(stats.gpmGarbageLines).toBe(0);
    // Rows are counted once each; polls without a new row send no GPM fields (so rows >= polls with GPM).
    expect(stats.gpmRows).toBeGreaterThanOrEqual(withGpm(server).length);
    expect(a.logs().filter((l) => l.msg === 'GPM readings from nvidia-smi dmon')).toHaveLength(1);
  });

  it('dmon dies: restarted with backoff (1 s, then 2 s), samples keep coming', async () => {
    const server = await scope.ingest();
    const smi = halfBusyH200({ mode: 'die', dieAfterRows: 4 });
    const a = await loopAgent(server, smi);
    await waitFor(() => dmonCalls(smi).length >= 3, { what: 'two restarts' });
    const polls = smi.callCount();
    await waitFor(() => (latestStats(a)?.gpmRows ?? 0) >= 10 && smi.callCount() > polls + 3, { what: 'rows from the third dmon' });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    const stopped = a.logs().filter((l) => l.msg.startsWith('GPM: nvidia-smi dmon stopped'));
    expect(stopped.slice(0, 2).map((l) => [l.level, l.restartInMs, l.exitCode, l.rows])).toEqual([
      ['warn', 1000, 1, 4],
      ['debug', 2000, 1, 4],
    ]);
    expect(latestStats(a)!.gpmRestarts).toBeGreaterThanOrEqual(2);
    // Every poll sent its sample, GPM or not.
    expect(server.samples()).toHaveLength(smi.callCount());
    for (const s of withGpm(server)) expectHalfBusy(s);
  });

  it('GPM not supported: today fields, one log line, no restart loop, samples keep coming', async () => {
    const server = await scope.ingest();
    const smi = scope.nvidiaSmi({ fixture: 'nvidia-smi-h200-x1.csv' }); // dmon answers "Not supported on the device(s)"
    const a = await loopAgent(server, smi);
    await waitFor(() => server.samples().length >= 10, { what: 'ten samples' });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    for (const s of server.samples()) expect(s.fields).toEqual(H200_QUERY_FIELDS);
    expect(dmonCalls(smi)).toEqual([DMON_CALL]);
    const gpmLogs = a.logs().filter((l) => l.level !== 'debug' && /GPM/.test(l.msg));
    expect(gpmLogs.map((l) => [l.level, l.msg, l.message])).toEqual([
      ['warn', 'GPM not supported here; sending --query-gpu fields only, trying again in 30 minutes', 'Not supported on the device(s)'],
    ]);
  });

  it('GPM columns that stay "-": treated as not supported after ten rows per device, and the child is stopped', async () => {
    const server = await scope.ingest();
    const smi = scope.nvidiaSmi({ fixture: 'nvidia-smi-a100-sxm4-40gb-x8.csv' });
    smi.setDmon({ mode: 'stream', fixture: 'nvidia-smi-dmon-a100-gpm-dashes.txt', intervalSeconds: 0.02 });
    const a = await loopAgent(server, smi);
    await a.waitForLog((l) => l.msg.startsWith('GPM not supported here'));
    await waitFor(() => processGroupMembers(smi.dmonPids()[0]!).length === 0, { what: 'dmon gone' });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    expect(server.samples().every((s) => s.fields[SM] === undefined)).toBe(true);
    expect(a.logs().find((l) => l.msg.startsWith('GPM not supported here'))!.message).toBe('no GPM reading in 20 rows');
    expect(dmonCalls(smi)).toHaveLength(1);
  });

  it('dmon hangs: killed after 10 s of silence and restarted; GPM comes back', async () => {
    const server = await scope.ingest();
    const smi = halfBusyH200();
    const a = await loopAgent(server, smi);
    await waitFor(() => withGpm(server).length >= 2, { what: 'GPM samples' });
    smi.setDmon({ mode: 'hang' });
    const hungPid = smi.dmonPids()[0]!;
    await a.waitForLog((l) => l.msg === 'GPM: nvidia-smi dmon printed nothing, killing it', 20_000);
    const sampledBefore = withGpm(server).length;
    smi.setDmon({ mode: 'stream' });
    await waitFor(() => dmonCalls(smi).length === 2 && withGpm(server).length >= sampledBefore + 3, { what: 'GPM after the restart' });
    expect(processGroupMembers(hungPid)).toEqual([]);
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    expect(latestStats(a)!.gpmRestarts).toBe(1);
    expect(a.logs().find((l) => l.msg === 'GPM: nvidia-smi dmon stopped; restarting it')).toMatchObject({
      reason: 'hung',
      restartInMs: 1000,
    });
  }, 60_000);

  it('garbage lines are ignored and counted, logged once; the rows around them still count', async () => {
    const server = await scope.ingest();
    const smi = halfBusyH200({ mode: 'garbage' });
    const a = await loopAgent(server, smi);
    await waitFor(() => withGpm(server).length >= 4, { what: 'GPM samples' });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    for (const s of withGpm(server)) expectHalfBusy(s);
    const stats = latestStats(a)!;
    expect(stats.gpmGarbageLines).toBeGreaterThanOrEqual(4);
    expect(a.logs().filter((l) => l.msg.startsWith('GPM: nvidia-smi dmon printed a line that does not parse'))).toHaveLength(1);
  });

  it('no orphan after SIGTERM, even with dmon hung', async () => {
    const server = await scope.ingest();
    const smi = halfBusyH200();
    const a = await loopAgent(server, smi);
    await waitFor(() => withGpm(server).length >= 1, { what: 'GPM samples' });
    smi.setDmon({ mode: 'hang' });
    const pid = smi.dmonPids()[0]!;
    expect(processGroupMembers(pid).length).toBeGreaterThan(0);
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    expect(processGroupMembers(pid)).toEqual([]);
  });

  it('--gpm off: nvidia-smi is only asked --query-gpu', async () => {
    const server = await scope.ingest();
    const smi = halfBusyH200();
    const a = await scope.agent({
      args: ['--once', '--gpm', 'off'],
      env: agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: scope.dir() }),
    });
    expect((await a.exited).code).toBe(0);
    expect(server.samples()[0]!.fields).toEqual(H200_QUERY_FIELDS);
    expect(smi.calls().every((c) => c.startsWith('--query-gpu'))).toBe(true);
  });
});

describe('MIG on the nvidia-smi path', () => {
  function migHost(): FakeNvidiaSmi {
    const smi = scope.nvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x2-mig.csv' });
    smi.setList({ fixture: 'nvidia-smi-L-h100-80gb-hbm3-mig.txt' });
    smi.setTable({ fixture: 'nvidia-smi-h100-80gb-hbm3-mig-table.txt' });
    smi.setDmon({ mode: 'stream', fixture: 'nvidia-smi-dmon-h100-mig-gpm.txt', intervalSeconds: 0.2 });
    return smi;
  }

  it('one sample per MIG instance with its MIG- uuid and GPM fields; the card itself is not sent besides', async () => {
    const server = await scope.ingest();
    const smi = migHost();
    const a = await scope.agent({ args: ['--once'], env: agentEnv({ ingest: server, nvidiaSmi: smi, spoolDir: scope.dir() }) });
    expect((await a.exited).code).toBe(0);
    expect(dmonCalls(smi)).toEqual([`${DMON_CALL} --gpm-options dm`]);
    expect(smi.calls()).toContain('-L');
    expect(smi.calls()).toContain('');
    // The second round of the stream (the first has no GPM value yet).
    expect(server.samples().map((s) => ({ gpu: s.gpu, fields: s.fields }))).toEqual([
      {
        gpu: { index: 0, uuid: 'MIG-c4d3e2f1-a0b9-5c8d-9e7f-6a5b4c3d2e1f', model: 'NVIDIA H100 80GB HBM3 MIG 3g.40gb' },
        fields: { [GR]: 0.12, [SM]: 0.1, [OCC]: 0.03, [TENSOR]: 0.04, [DRAM]: 0.06 },
      },
      {
        gpu: { index: 0, uuid: 'MIG-2f6e1a9c-4b7d-5c3e-8a1f-0d9c8b7a6e5f', model: 'NVIDIA H100 80GB HBM3 MIG 3g.40gb' },
        fields: { [GR]: 0.7, [SM]: 0.63, [OCC]: 0.15, [TENSOR]: 0.55, [DRAM]: 0.38 },
      },
      {
        gpu: { index: 1, uuid: 'GPU-1e2d3c4b-5a69-4788-96a5-b4c3d2e1f0a9', model: 'NVIDIA H100 80GB HBM3' },
        fields: {
          DCGM_FI_DEV_GPU_UTIL: 87,
          DCGM_FI_DEV_FB_USED: 52018,
          DCGM_FI_DEV_FB_FREE: 81559 - 52018,
          DCGM_FI_DEV_POWER_USAGE: 310.84,
          DCGM_FI_DEV_GPU_TEMP: 41,
          DCGM_FI_DEV_SM_CLOCK: 1980,
          DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: 0,
          [GR]: 0.88,
          [SM]: 0.81,
          [OCC]: 0.2,
          [TENSOR]: 0.74,
          [DRAM]: 0.45,
        },
      },
    ]);
  });

  it('a driver that refuses --gpm-options dm: dmon runs again at device level', async () => {
    const server = await scope.ingest();
    const smi = migHost();
    smi.setDmon({ mode: 'reject-gpm-options', fixture: 'nvidia-smi-dmon-h200-gpm-half-busy.txt', intervalSeconds: 0.1 });
    const a = await loopAgent(server, smi);
    await waitFor(() => dmonCalls(smi).length === 2 && server.samples().some((s) => s.gpu.index === 0 && s.fields[SM] !== undefined), {
      what: 'device-level GPM',
    });
    a.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    expect(dmonCalls(smi)).toEqual([`${DMON_CALL} --gpm-options dm`, DMON_CALL]);
    expect(a.logs().some((l) => l.msg === 'GPM: nvidia-smi dmon refused --gpm-options dm; using device-level GPM only')).toBe(true);
    expect(latestStats(a)!.gpmRestarts).toBe(0);
  });
});

describe('MIG uuids on the dcgm-exporter path', () => {
  it('MIG- uuids from nvidia-smi -L and the MIG devices table; <parent>/gi<id> when nvidia-smi cannot tell', async () => {
    const server = await scope.ingest();
    const dcgm = await scope.metrics({ fixture: 'dcgm-exporter-a100-sxm4-40gb-mig.prom' });
    const smi = scope.nvidiaSmi({ fixture: 'nvidia-smi-a100-sxm4-40gb-mig.csv' });
    smi.setList({ fixture: 'nvidia-smi-L-a100-sxm4-40gb-mig.txt' });
    smi.setTable({ fixture: 'nvidia-smi-a100-sxm4-40gb-mig-table.txt' });
    const env = agentEnv({ ingest: server, nvidiaSmi: smi, dcgmUrl: dcgm.url, spoolDir: scope.dir() });
    const a = await scope.agent({ args: ['--once'], env });
    expect((await a.exited).code).toBe(0);
    expect(server.samples().map((s) => s.gpu)).toEqual([
      { index: 0, uuid: 'MIG-0d3a5e6f-7b8c-5d9e-8f0a-1b2c3d4e5f60', model: 'NVIDIA A100-SXM4-40GB MIG 3g.20gb' },
      { index: 0, uuid: 'MIG-9f8e7d6c-5b4a-5392-8170-6f5e4d3c2b1a', model: 'NVIDIA A100-SXM4-40GB MIG 3g.20gb' },
      { index: 1, uuid: 'GPU-6b5a4c3d-2e1f-0a9b-8c7d-6e5f4a3b2c1d', model: 'NVIDIA A100-SXM4-40GB' },
    ]);
    // dcgm-exporter answered: no query and no dmon, only the MIG listing.
    expect([...smi.calls()].sort()).toEqual(['', '-L']);

    smi.setList({ output: 'Failed to initialize NVML: Driver/library version mismatch\n', exitCode: 18 });
    const b = await scope.agent({ args: ['--once'], env });
    expect((await b.exited).code).toBe(0);
    expect(server.batches[1]!.samples.map((s) => s.gpu.uuid)).toEqual([
      'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b/gi1',
      'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b/gi2',
      'GPU-6b5a4c3d-2e1f-0a9b-8c7d-6e5f4a3b2c1d',
    ]);
    expect(b.logs().find((l) => l.msg.startsWith('MIG layout unknown'))!.error).toContain('Driver/library version mismatch');
  });
});
