import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRuntime } from '../../local/runtime.js';
import { apiClient, startTestLedger } from '../support/ledger.js';

let ledger: LedgerRuntime;
let api: ReturnType<typeof apiClient>;
const minute = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;

beforeAll(async () => {
  ledger = await startTestLedger();
  api = apiClient(ledger);
});
afterAll(async () => ledger?.stop());

function batch(batchId: string, hostId: string, samples: { offsetMs: number; gpu: number; fields: Record<string, number | null> }[]) {
  return {
    batchId,
    host: { hostId, instanceId: `i-${hostId}`, instanceType: 'p5.48xlarge', provider: 'aws', region: 'us-east-1', pool: 'training' },
    samples: samples.map((s) => ({
      time: new Date(minute + s.offsetMs).toISOString(),
      gpu: { index: s.gpu, uuid: `GPU-${hostId}-${s.gpu}`, model: 'NVIDIA H100 80GB HBM3' },
      fields: s.fields,
    })),
  };
}

async function utilization(hostId: string) {
  const from = new Date(minute).toISOString();
  const to = new Date(minute + 60_000).toISOString();
  const response = await api('GET', `/v1/fleet/utilization?from=${from}&to=${to}&hostId=${hostId}&step=1m`);
  expect(response.status).toBe(200);
  return response.body;
}

describe('POST /v1/measurements', () => {
  it('accepts a gzip batch, counts dropped readings, and shows it in the utilization API', async () => {
    const body = batch('b-1', 'host-ingest', [
      { offsetMs: 0, gpu: 0, fields: { DCGM_FI_PROF_SM_ACTIVE: 0.5, DCGM_FI_DEV_GPU_UTIL: 100, DCGM_FI_DEV_POWER_USAGE: 400 } },
      {
        offsetMs: 30_000,
        gpu: 0,
        fields: { DCGM_FI_PROF_SM_ACTIVE: 0.7, DCGM_FI_DEV_GPU_UTIL: 140737488355328, DCGM_FI_DEV_POWER_USAGE: 600 },
      },
    ]);
    const response = await api('POST', '/v1/measurements', { body, gzip: true });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ batchId: 'b-1', accepted: 2, duplicate: false, rejectedFields: 1 });

    const report = await utilization('host-ingest');
    expect(report.totals).toMatchObject({
      observedGpuHours: 0.016667,
      effectiveGpuHours: 0.01,
      meanSmActive: 0.6,
      meanGpuUtil: 100,
      averagePowerW: 500,
      basis: 'sm_active',
    });
    expect(report.hosts[0]).toMatchObject({
      hostId: 'host-ingest',
      pool: 'training',
      instanceId: 'i-host-ingest',
      instanceType: 'p5.48xlarge',
      provider: 'aws',
    });
  });

  it('answers a replayed batch as duplicate and changes nothing', async () => {
    const body = batch('b-replay', 'host-replay', [{ offsetMs: 1000, gpu: 1, fields: { DCGM_FI_PROF_SM_ACTIVE: 0.25 } }]);
    const first = await api('POST', '/v1/measurements', { body });
    const second = await api('POST', '/v1/measurements', { body, gzip: true });
    expect(first.body).toEqual({ batchId: 'b-replay', accepted: 1, duplicate: false, rejectedFields: 0 });
    expect(second.status).toBe(202);
    expect(second.body).toEqual({ batchId: 'b-replay', accepted: 1, duplicate: true, rejectedFields: 0 });
    const report = await utilization('host-replay');
    expect(report.hosts[0].gpus[0]).toMatchObject({ observedGpuHours: 0.016667, meanSmActive: 0.25 });
  });

  it('refuses a batch id reused for different content with 409', async () => {
    await api('POST', '/v1/measurements', {
      body: batch('b-reuse', 'host-reuse', [{ offsetMs: 0, gpu: 0, fields: { DCGM_FI_PROF_SM_ACTIVE: 0.1 } }]),
    });
    const reused = await api('POST', '/v1/measurements', {
      body: batch('b-reuse', 'host-reuse', [{ offsetMs: 0, gpu: 0, fields: { DCGM_FI_PROF_SM_ACTIVE: 0.9 } }]),
    });
    expect(reused.status).toBe(409);
    expect(reused.body.error.message).toContain('batchId: b-reuse was already used');
    expect((await utilization('host-reuse')).totals.meanSmActive).toBe(0.1);
  });

  it('counts 20 concurrent batches into the same host-minute exactly once each', async () => {
    const batches = Array.from({ length: 20 }, (_, i) =>
      batch(`c-${i}`, 'host-hot', [
        { offsetMs: i * 1000, gpu: 0, fields: { DCGM_FI_PROF_SM_ACTIVE: (i + 1) / 100, DCGM_FI_DEV_POWER_USAGE: 100 + i } },
        { offsetMs: i * 1000, gpu: 1, fields: { DCGM_FI_PROF_SM_ACTIVE: 0.5 } },
      ]),
    );
    const responses = await Promise.all(batches.map((body) => api('POST', '/v1/measurements', { body })));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(202));
    expect(responses.every((r) => r.body.duplicate === false && r.body.accepted === 2)).toBe(true);
    // Replaying all of them concurrently changes nothing.
    const replays = await Promise.all(batches.map((body) => api('POST', '/v1/measurements', { body })));
    expect(replays.every((r) => r.status === 202 && r.body.duplicate === true)).toBe(true);

    const report = await utilization('host-hot');
    const gpu0 = report.hosts[0].gpus.find((g: { index: number }) => g.index === 0);
    // mean of 0.01..0.20 = 0.105; mean power of 100..119 = 109.5
    expect(gpu0).toMatchObject({ meanSmActive: 0.105, averagePowerW: 109.5, observedGpuHours: 0.016667 });
    expect(report.totals).toMatchObject({ gpus: 2, observedGpuHours: 0.033333 });
  });

  it('completes a batch that failed halfway when it is retried, without counting the applied part twice', async () => {
    const { DynamoMeasurementStore } = await import('../../shared/adapters/dynamo/measurement-store.js');
    const { createDocumentClient } = await import('../../shared/adapters/dynamo/client.js');
    const { ingestMeasurements } = await import('../../shared/domain/measurements/ingest-measurements.js');
    const store = new DynamoMeasurementStore(
      createDocumentClient({ region: 'us-east-1', endpoint: ledger.dynamoEndpoint }),
      ledger.tableName,
    );
    const body = batch('b-half', 'host-half', [
      { offsetMs: 0, gpu: 0, fields: { DCGM_FI_PROF_SM_ACTIVE: 0.2 } },
      { offsetMs: 60_000, gpu: 0, fields: { DCGM_FI_PROF_SM_ACTIVE: 0.4 } },
    ]);
    // The first minute is written, then the process dies before the second minute and the batch record.
    const failing = Object.create(store) as typeof store;
    failing.applyMinutes = async (batchId, rollups) => {
      await store.applyMinutes(batchId, rollups.slice(0, 1));
      throw new Error('lost the connection');
    };
    await expect(ingestMeasurements(failing, body as never, Date.now())).rejects.toThrow('lost the connection');
    const retried = await api('POST', '/v1/measurements', { body });
    expect(retried.body).toEqual({ batchId: 'b-half', accepted: 2, duplicate: false, rejectedFields: 0 });
    const from = new Date(minute).toISOString();
    const to = new Date(minute + 120_000).toISOString();
    const report = (await api('GET', `/v1/fleet/utilization?from=${from}&to=${to}&hostId=host-half&step=1m`)).body;
    expect(report.series.map((s: { observedGpuHours: number; meanSmActive: number }) => [s.observedGpuHours, s.meanSmActive])).toEqual([
      [0.016667, 0.2],
      [0.016667, 0.4],
    ]);
  });
});

describe('GET /v1/fleet/utilization', () => {
  it('filters by pool and lists every host of the fleet when no host is named', async () => {
    await api('POST', '/v1/measurements', {
      body: {
        ...batch('p-1', 'host-pool-x', [{ offsetMs: 0, gpu: 0, fields: { DCGM_FI_PROF_SM_ACTIVE: 0.3 } }]),
        host: { hostId: 'host-pool-x', pool: 'serving' },
      },
    });
    const from = new Date(minute).toISOString();
    const to = new Date(minute + 60_000).toISOString();
    const serving = await api('GET', `/v1/fleet/utilization?from=${from}&to=${to}&pool=serving`);
    expect(serving.body.hosts.map((h: { hostId: string }) => h.hostId)).toEqual(['host-pool-x']);
    const all = await api('GET', `/v1/fleet/utilization?from=${from}&to=${to}`);
    expect(all.body.hosts.map((h: { hostId: string }) => h.hostId)).toEqual(
      expect.arrayContaining(['host-hot', 'host-ingest', 'host-pool-x', 'host-replay', 'host-reuse']),
    );
  });
});

describe('workloads on samples', () => {
  const sample = (offsetMs: number, gpu: number, fields: Record<string, number>, workload?: Record<string, unknown>) => ({
    time: new Date(minute + offsetMs).toISOString(),
    gpu: { index: gpu, uuid: `GPU-host-k8s-${gpu}`, model: 'NVIDIA H200' },
    fields,
    ...(workload ? { workload } : {}),
  });

  it('stores who used each GPU and shows the busy pod and the idle-held notebook in the utilization API', async () => {
    const body = {
      batchId: 'k8s-1',
      host: { hostId: 'host-k8s', pool: 'k8s-h200' },
      samples: [
        sample(
          0,
          0,
          { DCGM_FI_DEV_GPU_UTIL: 98, DCGM_FI_PROF_SM_ACTIVE: 0.39, DCGM_FI_DEV_FB_USED: 120_000 },
          { namespace: 'train', pod: 'llama-ft-0', job: 'ft-42', epoch: 3 },
        ),
        sample(
          30_000,
          0,
          { DCGM_FI_DEV_GPU_UTIL: 97, DCGM_FI_PROF_SM_ACTIVE: 0.41, DCGM_FI_DEV_FB_USED: 120_000 },
          { namespace: 'train', pod: 'llama-ft-0', job: 'ft-42', epoch: 3 },
        ),
        sample(
          0,
          1,
          { DCGM_FI_DEV_GPU_UTIL: 0, DCGM_FI_PROF_SM_ACTIVE: 0, DCGM_FI_DEV_FB_USED: 40_000 },
          { namespace: 'research', pod: '<b>notebook</b>', container: 'jupyter' },
        ),
        sample(
          30_000,
          1,
          { DCGM_FI_DEV_GPU_UTIL: 0, DCGM_FI_PROF_SM_ACTIVE: 0, DCGM_FI_DEV_FB_USED: 40_000 },
          { namespace: 'research', pod: '<b>notebook</b>', container: 'jupyter' },
        ),
      ],
    };
    const response = await api('POST', '/v1/measurements', { body, gzip: true });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ batchId: 'k8s-1', accepted: 4, duplicate: false, rejectedFields: 0 });
    const report = await utilization('host-k8s');
    // one minute of each GPU: 2/60 GPU-hours observed, 0.4/60 effective, 1/60 idle-held
    expect(report.totals).toMatchObject({
      observedGpuHours: 0.033333,
      effectiveGpuHours: 0.006667,
      idleHeldGpuHours: 0.016667,
      idleGpuHours: 0,
      basis: 'sm_active',
    });
    expect(report.workloads).toEqual([
      {
        namespace: 'research',
        pod: '<b>notebook</b>',
        container: 'jupyter',
        job: null,
        gpus: 1,
        observedGpuHours: 0.016667,
        effectiveGpuHours: 0,
        effectiveUtilization: 0,
        idleHeldGpuHours: 0.016667,
      },
      {
        namespace: 'train',
        pod: 'llama-ft-0',
        container: null,
        job: 'ft-42',
        gpus: 1,
        observedGpuHours: 0.016667,
        effectiveGpuHours: 0.006667,
        effectiveUtilization: 0.4,
        idleHeldGpuHours: 0,
      },
    ]);
  });

  it('refuses over-long, control-character and malformed workload values with 400 naming the field, and stores nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ namespace: 'n'.repeat(64) }, 'samples[0].workload.namespace'],
      [{ pod: 'p'.repeat(254) }, 'samples[0].workload.pod'],
      [{ job: 'ft\u001b[31m42' }, 'samples[0].workload.job'],
      [{ container: '' }, 'samples[0].workload.container'],
      [{ epoch: 2.5 }, 'samples[0].workload.epoch'],
      [{ epoch: -1 }, 'samples[0].workload.epoch'],
    ];
    for (const [workload, path] of cases) {
      const body = {
        batchId: `k8s-bad-${path}-${JSON.stringify(workload).length}`,
        host: { hostId: 'host-k8s-bad' },
        samples: [sample(0, 0, { DCGM_FI_PROF_SM_ACTIVE: 0.5 }, workload)],
      };
      const response = await api('POST', '/v1/measurements', { body });
      expect(response.status, JSON.stringify(workload)).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(response.body.error.message).toContain(path);
    }
    const report = await utilization('host-k8s-bad');
    expect(report.hosts).toEqual([]);
  });
});
