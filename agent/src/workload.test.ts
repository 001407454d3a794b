import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';
import {
  cleanEpoch,
  cleanWorkloadText,
  jobFromEnv,
  jobFromMappingFile,
  JobSources,
  jobWorkloads,
  mergeWorkloads,
  parseEnvFile,
  workloadFromLabels,
} from './workload.js';

describe('cleaning untrusted text', () => {
  it('strips C0, DEL and C1 control characters, trims, cuts to the bound, drops what is empty', () => {
    expect(cleanWorkloadText('  train\u0000ing\u001b[31m\u007f\u0085 ', 63)).toBe('training[31m');
    expect(cleanWorkloadText('x'.repeat(300), 253)).toBe('x'.repeat(253));
    expect(cleanWorkloadText(`${'a'.repeat(62)} b`, 63)).toBe('a'.repeat(62));
    expect(cleanWorkloadText(' \t\n\r ', 63)).toBeUndefined();
    expect(cleanWorkloadText(undefined, 63)).toBeUndefined();
    // Never half a surrogate pair.
    expect(cleanWorkloadText(`${'a'.repeat(62)}😀`, 63)).toBe('a'.repeat(62));
  });

  it('epochs are integers 0..1,000,000', () => {
    expect(cleanEpoch('12')).toBe(12);
    expect(cleanEpoch(0)).toBe(0);
    expect(cleanEpoch('1000000')).toBe(1_000_000);
    for (const bad of ['1000001', '-1', '1.5', 'ten', '', 2.5, Number.NaN]) expect(cleanEpoch(bad)).toBeUndefined();
  });
});

describe('workloadFromLabels (dcgm-exporter)', () => {
  it('Kubernetes pod mapping labels, new and old names', () => {
    expect(workloadFromLabels({ gpu: '0', namespace: 'inference', pod: 'vllm-0', container: 'vllm' })).toEqual({
      namespace: 'inference',
      pod: 'vllm-0',
      container: 'vllm',
    });
    expect(workloadFromLabels({ pod_namespace: 'ml', pod_name: 'trainer-1', container_name: 'main' })).toEqual({
      namespace: 'ml',
      pod: 'trainer-1',
      container: 'main',
    });
  });

  it('job from ledger_job_id, then hpc_job, then the Job-name pod labels; the epoch only with a job', () => {
    expect(workloadFromLabels({ ledger_job_id: 'L1', hpc_job: 'H1', job_name: 'J1', ledger_job_epoch: '7' })).toEqual({
      job: 'L1',
      epoch: 7,
    });
    expect(workloadFromLabels({ hpc_job: '48211', batch_kubernetes_io_job_name: 'B' })).toEqual({ job: '48211' });
    expect(workloadFromLabels({ batch_kubernetes_io_job_name: 'finetune-7', job_name: 'x' })).toEqual({ job: 'finetune-7' });
    expect(workloadFromLabels({ ledger_job_epoch: '3' })).toBeUndefined();
    expect(workloadFromLabels({ gpu: '0', UUID: 'GPU-a', Hostname: 'h' })).toBeUndefined();
    expect(workloadFromLabels({ pod: '   ' })).toBeUndefined();
  });
});

describe('mergeWorkloads', () => {
  it('the first source that answers wins per field; the epoch comes with the job it belongs to', () => {
    expect(mergeWorkloads({ namespace: 'a', pod: 'p' }, { job: 'from-dir' }, { job: 'from-env', epoch: 4 })).toEqual({
      namespace: 'a',
      pod: 'p',
      job: 'from-dir',
    });
    expect(mergeWorkloads(undefined, { job: '42' }, { job: '42', epoch: 4 })).toEqual({ job: '42', epoch: 4 });
    expect(mergeWorkloads(undefined, undefined, undefined)).toBeUndefined();
  });
});

describe('job sources', () => {
  it('environment files: comments, export, quotes; LEDGER_ before SLURM_ before CUDA_VISIBLE_DEVICES', () => {
    const env = parseEnvFile(
      [
        '# written by the Slurm prolog',
        'export SLURM_JOB_ID=48211',
        "LEDGER_JOB_EPOCH='12'",
        'SLURM_JOB_GPUS="0,2"',
        'CUDA_VISIBLE_DEVICES=0',
        'not a line',
        '',
      ].join('\n'),
    );
    expect(env).toEqual({ SLURM_JOB_ID: '48211', LEDGER_JOB_EPOCH: '12', SLURM_JOB_GPUS: '0,2', CUDA_VISIBLE_DEVICES: '0' });
    expect(jobFromEnv(env)).toEqual({ job: '48211', epoch: 12, gpus: ['0', '2'] });
    expect(jobFromEnv({ LEDGER_JOB_ID: 'run-7', SLURM_JOB_ID: '1', LEDGER_JOB_GPUS: '1', CUDA_VISIBLE_DEVICES: '0' })).toEqual({
      job: 'run-7',
      gpus: ['1'],
    });
    expect(jobFromEnv({ SLURM_JOB_ID: '9' })).toEqual({ job: '9' });
  });

  it('the job covers the GPUs listed (indices or UUIDs), every GPU when none is listed', () => {
    const gpu0 = { index: 0, uuid: 'GPU-a' };
    const gpu1 = { index: 1, uuid: 'GPU-b' };
    const mig = { index: 1, uuid: 'MIG-c', parentUuid: 'GPU-b' };
    const snapshot = (gpus?: string[]) => ({ byIndex: new Map([[1, '777']]), env: { job: '48211', epoch: 3, gpus } });
    expect(jobWorkloads(snapshot(['0']), gpu0)).toEqual([undefined, { job: '48211', epoch: 3 }]);
    expect(jobWorkloads(snapshot(['0']), gpu1)).toEqual([{ job: '777' }, undefined]);
    expect(jobWorkloads(snapshot(['GPU-b']), mig)[1]).toEqual({ job: '48211', epoch: 3 });
    expect(jobWorkloads(snapshot(['MIG-c']), mig)[1]).toEqual({ job: '48211', epoch: 3 });
    expect(jobWorkloads(snapshot(undefined), gpu1)[1]).toEqual({ job: '48211', epoch: 3 });
    expect(jobWorkloads(snapshot([]), gpu1)[1]).toBeUndefined();
  });

  it('a mapping file names its job on the first non-empty line', () => {
    expect(jobFromMappingFile('\n  \n48211\n48212\n')).toBe('48211');
    expect(jobFromMappingFile('')).toBeUndefined();
  });

  it('JobSources: a directory and a file; missing ones are "no job", logged once per change', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-jobs-'));
    const mapDir = path.join(dir, 'map');
    const envFile = path.join(dir, 'job.env');
    const lines: string[] = [];
    const sources = new JobSources({ jobMappingDir: mapDir, jobEnvFile: envFile }, createLogger({ write: (l) => lines.push(l) }));
    expect(sources.read()).toEqual({ byIndex: new Map() });
    expect(sources.read()).toEqual({ byIndex: new Map() });
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
      'job mapping directory unreadable; no job for now',
      'job environment file unreadable; no job for now',
    ]);

    fs.mkdirSync(mapDir);
    fs.writeFileSync(path.join(mapDir, '0'), '48211\n');
    fs.writeFileSync(path.join(mapDir, '3'), '\n9001\n');
    fs.writeFileSync(path.join(mapDir, 'README'), 'not a GPU');
    fs.writeFileSync(envFile, 'SLURM_JOB_ID=48211\nLEDGER_JOB_EPOCH=2\n');
    expect(sources.read()).toEqual({
      byIndex: new Map([
        [0, '48211'],
        [3, '9001'],
      ]),
      env: { job: '48211', epoch: 2 },
    });
    expect(lines.slice(2).map((l) => JSON.parse(l).msg)).toEqual([
      'job mapping directory readable again',
      'job environment file readable again',
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
