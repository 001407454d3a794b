/**
 * Workload attribution through the REAL agent bundle: dcgm-exporter pod labels, a job mapping directory and a job
 * environment file; the recording ingest server enforces the server's bounds on `workload`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentEnv, agentFixture, agentTestScope, ensureAgentBuilt } from './harness.js';

const scope = agentTestScope();
afterEach(() => scope.cleanup());
beforeAll(async () => {
  await ensureAgentBuilt();
}, 60_000);

describe('workload attribution', () => {
  it('from dcgm-exporter pod labels (Kubernetes pod mapping)', async () => {
    const server = await scope.ingest();
    const dcgm = await scope.metrics({ fixture: 'dcgm-exporter-a10g-kubernetes.prom' });
    const a = await scope.agent({ args: ['--once'], env: agentEnv({ ingest: server, dcgmUrl: dcgm.url, spoolDir: scope.dir() }) });
    expect((await a.exited).code).toBe(0);
    expect(server.samples().map((s) => s.workload)).toEqual([
      { namespace: 'inference', pod: 'vllm-llama-7d9f8c6b5-x2q4z', container: 'vllm' },
    ]);
  });

  it('label values with control characters and over-long ones are cleaned and cut to the bounds', async () => {
    const server = await scope.ingest();
    const page = agentFixture('dcgm-exporter-a10g-kubernetes.prom')
      .replaceAll('namespace="inference"', 'namespace="\u0007infer\u009bence "')
      .replaceAll('pod="vllm-llama-7d9f8c6b5-x2q4z"', `pod="vllm\\nllama-${'p'.repeat(300)}"`)
      .replaceAll('container="vllm"', `container="${'c'.repeat(100)}",hpc_job="  48211\t",ledger_job_epoch="12"`);
    const dcgm = await scope.metrics({ text: page });
    const a = await scope.agent({ args: ['--once'], env: agentEnv({ ingest: server, dcgmUrl: dcgm.url, spoolDir: scope.dir() }) });
    expect((await a.exited).code).toBe(0);
    expect(server.attempts.map((x) => x.status)).toEqual([202]);
    expect(server.samples()[0]!.workload).toEqual({
      namespace: 'inference',
      pod: `vllmllama-${'p'.repeat(253 - 'vllmllama-'.length)}`,
      container: 'c'.repeat(63),
      job: '48211',
      epoch: 12,
    });
  });

  it('from a job mapping directory (one file per GPU index) and a job environment file; the directory wins', async () => {
    const server = await scope.ingest();
    const smi = scope.nvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv' });
    const dir = scope.dir('job-map-');
    fs.writeFileSync(path.join(dir, '0'), '48211\n');
    fs.writeFileSync(path.join(dir, '3'), '\n48212\n');
    const envFile = path.join(scope.dir('job-env-'), 'job.env');
    fs.writeFileSync(envFile, ['# Slurm prolog', 'SLURM_JOB_ID=48299', 'LEDGER_JOB_EPOCH=12', 'CUDA_VISIBLE_DEVICES="3,5"', ''].join('\n'));
    const env = agentEnv({
      ingest: server,
      nvidiaSmi: smi,
      spoolDir: scope.dir(),
      extra: { LEDGER_AGENT_JOB_MAPPING_DIR: dir, LEDGER_AGENT_JOB_ENV_FILE: envFile },
    });
    const a = await scope.agent({ args: ['--once'], env });
    expect((await a.exited).code).toBe(0);
    const byIndex = Object.fromEntries(server.samples().map((s) => [s.gpu.index, s.workload]));
    expect(byIndex).toEqual({
      0: { job: '48211' },
      1: undefined,
      2: undefined,
      3: { job: '48212' },
      4: undefined,
      5: { job: '48299', epoch: 12 },
      6: undefined,
      7: undefined,
    });
    // Nothing known: no `workload` key at all.
    expect(
      server
        .samples()
        .filter((s) => 'workload' in s)
        .map((s) => s.gpu.index),
    ).toEqual([0, 3, 5]);
  });

  it('missing job files are "no job": logged once, samples keep coming', async () => {
    const server = await scope.ingest();
    const smi = scope.nvidiaSmi({ fixture: 'nvidia-smi-l4-x4.csv' });
    const missing = path.join(scope.dir(), 'absent');
    const env = agentEnv({
      ingest: server,
      nvidiaSmi: smi,
      spoolDir: scope.dir(),
      extra: {
        LEDGER_AGENT_JOB_MAPPING_DIR: missing,
        LEDGER_AGENT_JOB_ENV_FILE: `${missing}.env`,
        LEDGER_AGENT_ONCE_POLLS: '3',
        LEDGER_AGENT_ONCE_INTERVAL_SECONDS: '0.05',
      },
    });
    const a = await scope.agent({ args: ['--once'], env });
    expect((await a.exited).code).toBe(0);
    expect(server.samples()).toHaveLength(12);
    expect(server.samples().every((s) => s.workload === undefined)).toBe(true);
    expect(
      a
        .logs()
        .filter((l) => l.msg.endsWith('unreadable; no job for now'))
        .map((l) => l.source),
    ).toEqual(['job mapping directory', 'job environment file']);
  });
});
