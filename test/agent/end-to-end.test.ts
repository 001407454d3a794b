/**
 * The real agent bundle against the real local runtime (same handlers as Lambda, DynamoDB Local): data
 * arrives and the utilization API shows it; the ledger goes away for a while and every sample still
 * arrives exactly once.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoMeasurementStore } from '../../shared/adapters/dynamo/measurement-store.js';
import { freePort } from '../../local/dynamodb.js';
import type { LedgerRuntime } from '../../local/runtime.js';
import { apiClient, startTestLedger } from '../support/ledger.js';
import {
  agentEnv,
  agentFixture,
  agentTestScope,
  runAgent,
  startFakeDcgmExporter,
  startFakeNvidiaSmi,
  startFakeVllm,
  tempDir,
  waitFor,
} from './harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function meanOfDcgmField(page: string, field: string): number {
  const values = page
    .split('\n')
    .filter((line) => line.startsWith(`${field}{`))
    .map((line) => Number(line.trim().split(/\s+/).pop()));
  return values.reduce((a, b) => a + b, 0) / values.length;
}

async function storedSamples(ledger: LedgerRuntime, hostId: string): Promise<number> {
  const store = new DynamoMeasurementStore(
    createDocumentClient({ region: 'us-east-1', endpoint: ledger.dynamoEndpoint }),
    ledger.tableName,
  );
  const rollups = await store.hostMinutes({ hostId, from: Date.now() - 3_600_000, to: Date.now() + 600_000 });
  return rollups.reduce((n, r) => n + Object.values(r.gpus).reduce((m, g) => m + g.samples, 0), 0);
}

describe('agent to ledger, end to end', () => {
  it('--once with dcgm-exporter and vLLM: the utilization API shows 8 GPUs on the SM-active basis', async () => {
    const ledger = await startTestLedger();
    cleanups.push(() => ledger.stop());
    const dcgm = await startFakeDcgmExporter();
    cleanups.push(() => dcgm.close());
    const smi = startFakeNvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv' });
    cleanups.push(() => smi.cleanup());
    const vllm = await startFakeVllm();
    cleanups.push(() => vllm.close());

    const agent = await runAgent({
      args: ['--once'],
      env: agentEnv({
        ingest: { url: ledger.url, token: ledger.token },
        nvidiaSmi: smi,
        dcgmUrl: dcgm.url,
        spoolDir: tempDir(),
        extra: { LEDGER_AGENT_INFERENCE_URLS: vllm.url },
      }),
    });
    expect((await agent.exited).code).toBe(0);

    const report = (await apiClient(ledger)('GET', '/v1/fleet/utilization?hostId=test-host-1&step=1h')).body;
    expect(report.totals.gpus).toBe(8);
    expect(report.totals.basis).toBe('sm_active');
    const expected = meanOfDcgmField(agentFixture('dcgm-exporter-h100-80gb-hbm3-x8.prom'), 'DCGM_FI_PROF_SM_ACTIVE');
    expect(report.totals.meanSmActive).toBeCloseTo(expected, 5);
    expect(report.hosts[0].gpus.map((g: { index: number }) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The batch carried vLLM counters; one reading per server gives an increase of zero, but it is stored.
    expect(report.hosts[0].inference).toMatchObject({ promptTokens: 0, generationTokens: 0 });
    expect(agent.stderr()).not.toContain(ledger.token);
  });

  it('the ledger is down for a while, then back: every sample the agent collected is stored exactly once', async () => {
    const port = await freePort();
    const tableName = `e2e-outage-${Date.now()}`;
    const token = 'agent-outage-token-0123456789';
    const start = () => startTestLedger({ port, tableName, devToken: token });
    let ledger = await start();
    await ledger.stop(); // table and token exist; nothing listens now

    const smi = startFakeNvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv' });
    cleanups.push(() => smi.cleanup());
    const spool = tempDir();
    const agent = await runAgent({
      env: agentEnv({
        ingest: { url: `http://127.0.0.1:${port}`, token },
        nvidiaSmi: smi,
        spoolDir: spool,
        pollIntervalSeconds: 0.1,
        flushIntervalSeconds: 0.3,
      }),
    });
    cleanups.push(() => agent.kill('SIGKILL'));
    await waitFor(() => fs.readdirSync(spool).length >= 3, { what: 'three spooled batches while the ledger is down' });

    ledger = await start();
    cleanups.push(() => ledger.stop());
    await waitFor(() => fs.readdirSync(spool).length === 0, { what: 'spool drained', timeoutMs: 30_000 });
    agent.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);

    const stopped = agent.logs().find((l) => l.msg === 'stopped')!;
    const stats = stopped.stats as { samplesCollected: number; samplesSent: number; sendFailures: number; batchesDroppedSpoolFull: number };
    expect(stats.sendFailures).toBeGreaterThan(0);
    expect(stats.batchesDroppedSpoolFull).toBe(0);
    expect(stats.samplesSent).toBe(stats.samplesCollected);
    expect(await storedSamples(ledger, 'test-host-1')).toBe(stats.samplesCollected);
  });
});

describe('agent to ledger without DCGM: GPM SM activity from nvidia-smi dmon', () => {
  const scope = agentTestScope();
  afterEach(() => scope.cleanup());

  /** The real H200 capture's header and its idle rows (GPM 0 once two samples exist), streamed over and over. */
  const idleH200Stream = agentFixture('nvidia-smi-dmon-h200-gpm-idle-then-full.txt').split('\n').slice(0, 10).join('\n');

  it('a half-busy H200 counts 0.39 effective GPU-hours per hour, not the 0.98 utilization.gpu reads; a held idle H200 is idle-held', async () => {
    const ledger = await startTestLedger();
    cleanups.push(() => ledger.stop());
    const api = apiClient(ledger);

    // Half busy, running job ft-42 (a Slurm prolog's environment file), epoch 3.
    const busy = scope.nvidiaSmi({ fixture: 'nvidia-smi-h200-x1.csv' });
    busy.setDmon({ mode: 'stream', fixture: 'nvidia-smi-dmon-h200-gpm-half-busy.txt', intervalSeconds: 0.1 });
    const jobDir = scope.dir();
    fs.writeFileSync(`${jobDir}/job.env`, 'SLURM_JOB_ID=ft-42\nLEDGER_JOB_EPOCH=3\n');
    const first = await scope.agent({
      args: ['--once'],
      env: agentEnv({
        ingest: { url: ledger.url, token: ledger.token },
        nvidiaSmi: busy,
        spoolDir: scope.dir(),
        extra: { LEDGER_AGENT_HOST_ID: 'h200-busy', LEDGER_AGENT_JOB_ENV_FILE: `${jobDir}/job.env` },
      }),
    });
    expect((await first.exited).code).toBe(0);

    // Idle with 52 GB of framebuffer held: someone's notebook.
    const held = scope.nvidiaSmi({ fixture: 'nvidia-smi-h200-x1.csv' });
    held.setDmon({ mode: 'stream', text: idleH200Stream, intervalSeconds: 0.1 });
    const second = await scope.agent({
      args: ['--once'],
      env: agentEnv({
        ingest: { url: ledger.url, token: ledger.token },
        nvidiaSmi: held,
        spoolDir: scope.dir(),
        extra: { LEDGER_AGENT_HOST_ID: 'h200-held' },
      }),
    });
    expect((await second.exited).code).toBe(0);

    const busyReport = (await api('GET', '/v1/fleet/utilization?hostId=h200-busy&step=1h')).body;
    // One GPU-minute observed; weighted by SM activity 0.38-0.40 (the stream's rows), while utilization.gpu said 98.
    expect(busyReport.totals).toMatchObject({
      gpus: 1,
      basis: 'sm_active',
      observedGpuHours: 0.016667,
      meanGpuUtil: 98,
      idleHeldGpuHours: 0,
    });
    expect(busyReport.totals.effectiveUtilization).toBeGreaterThanOrEqual(0.38);
    expect(busyReport.totals.effectiveUtilization).toBeLessThanOrEqual(0.4);
    expect(busyReport.workloads).toEqual([expect.objectContaining({ job: 'ft-42', gpus: 1, observedGpuHours: 0.016667 })]);

    const heldReport = (await api('GET', '/v1/fleet/utilization?hostId=h200-held&step=1h')).body;
    expect(heldReport.totals).toMatchObject({
      gpus: 1,
      basis: 'sm_active',
      effectiveGpuHours: 0,
      idleHeldGpuHours: 0.016667,
      idleGpuHours: 0,
    });
  });
});
