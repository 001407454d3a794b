/**
 * Workload attribution: which namespace / pod / container / job a GPU's sample belongs to.
 *
 * Sources, the first that answers wins per field:
 *  1. dcgm-exporter labels: `namespace`, `pod`, `container` (old names `pod_namespace`, `pod_name`, `container_name`); job
 *     from `ledger_job_id`, `hpc_job` (dcgm-exporter's HPC job mapping), `batch_kubernetes_io_job_name`, `job_name`
 *     (pod labels); epoch from `ledger_job_epoch`;
 *  2. a job mapping directory (`--job-mapping-dir`, dcgm-exporter's `--hpc-job-mapping-dir` format): one file per GPU,
 *     named by its index, whose first non-empty line is the job id;
 *  3. a job environment file (`--job-env-file`): `LEDGER_JOB_ID` else `SLURM_JOB_ID`, `LEDGER_JOB_EPOCH`, and the GPUs it
 *     covers from `LEDGER_JOB_GPUS` else `SLURM_JOB_GPUS` else `CUDA_VISIBLE_DEVICES` (every GPU when none is set).
 * All of it is untrusted text: control characters are stripped, values trimmed and cut to the server's bounds.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './log.js';
import { MAX_WORKLOAD_EPOCH, WORKLOAD_LIMITS, type Workload } from './wire.js';

// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Strip control characters, trim, cut to `max` UTF-16 units (never half a surrogate pair); undefined when empty. */
export function cleanWorkloadText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  let text = value.replace(CONTROL_CHARACTERS, '').trim();
  if (text.length > max) {
    text = text.slice(0, max);
    if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
    text = text.trimEnd();
  }
  return text === '' ? undefined : text;
}

/** An integer 0..1,000,000 (as a number or its decimal text), else undefined. */
export function cleanEpoch(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d{1,7}\s*$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= MAX_WORKLOAD_EPOCH ? n : undefined;
}

function firstLabel(labels: Record<string, string>, names: readonly string[], max: number): string | undefined {
  for (const name of names) {
    const value = cleanWorkloadText(labels[name], max);
    if (value !== undefined) return value;
  }
  return undefined;
}

const LABEL_NAMES = {
  namespace: ['namespace', 'pod_namespace'],
  pod: ['pod', 'pod_name'],
  container: ['container', 'container_name'],
  job: ['ledger_job_id', 'hpc_job', 'batch_kubernetes_io_job_name', 'job_name'],
} as const;
const ANY_WORKLOAD_LABEL = new Set<string>([...Object.values(LABEL_NAMES).flat(), 'ledger_job_epoch']);

/** The workload dcgm-exporter's labels name (Kubernetes pod mapping, HPC job mapping, pod labels). */
export function workloadFromLabels(labels: Record<string, string>): Workload | undefined {
  let any = false;
  for (const name in labels) {
    if (ANY_WORKLOAD_LABEL.has(name)) {
      any = true;
      break;
    }
  }
  if (!any) return undefined;
  return compactWorkload({
    namespace: firstLabel(labels, LABEL_NAMES.namespace, WORKLOAD_LIMITS.namespace),
    pod: firstLabel(labels, LABEL_NAMES.pod, WORKLOAD_LIMITS.pod),
    container: firstLabel(labels, LABEL_NAMES.container, WORKLOAD_LIMITS.container),
    job: firstLabel(labels, LABEL_NAMES.job, WORKLOAD_LIMITS.job),
    epoch: cleanEpoch(labels.ledger_job_epoch),
  });
}

/** Drops absent keys; undefined when nothing is left (a sample never carries an empty workload). */
function compactWorkload(w: Workload): Workload | undefined {
  const out: Workload = {};
  if (w.namespace !== undefined) out.namespace = w.namespace;
  if (w.pod !== undefined) out.pod = w.pod;
  if (w.container !== undefined) out.container = w.container;
  if (w.job !== undefined) out.job = w.job;
  if (w.epoch !== undefined && w.job !== undefined) out.epoch = w.epoch;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Merge sources, strongest first, field by field. The epoch is the one of the source that named the chosen job (an
 * epoch counted by another job is not this job's), and is never sent without a job.
 */
export function mergeWorkloads(...sources: Array<Workload | undefined>): Workload | undefined {
  const merged: Workload = {};
  for (const s of sources) {
    if (!s) continue;
    merged.namespace ??= s.namespace;
    merged.pod ??= s.pod;
    merged.container ??= s.container;
    merged.job ??= s.job;
  }
  if (merged.job !== undefined) merged.epoch = sources.find((s) => s !== undefined && s.job === merged.job && s.epoch !== undefined)?.epoch;
  return compactWorkload(merged);
}

/** Parse a KEY=VALUE file: `#` comments, blank lines, optional `export `, optional single or double quotes. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    out[m[1]!] = value;
  }
  return out;
}

export interface JobEnv {
  job?: string;
  epoch?: number;
  /** GPU indices or UUIDs the job covers; undefined = every GPU on the host. */
  gpus?: string[];
}

export function jobFromEnv(env: Record<string, string>): JobEnv {
  const job = cleanWorkloadText(env.LEDGER_JOB_ID, WORKLOAD_LIMITS.job) ?? cleanWorkloadText(env.SLURM_JOB_ID, WORKLOAD_LIMITS.job);
  const gpuList = env.LEDGER_JOB_GPUS ?? env.SLURM_JOB_GPUS ?? env.CUDA_VISIBLE_DEVICES;
  const out: JobEnv = {};
  if (job !== undefined) out.job = job;
  const epoch = cleanEpoch(env.LEDGER_JOB_EPOCH);
  if (epoch !== undefined) out.epoch = epoch;
  if (gpuList !== undefined)
    out.gpus = gpuList
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
  return out;
}

/** The first non-empty line of a mapping file: the job id. */
export function jobFromMappingFile(text: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const job = cleanWorkloadText(line, WORKLOAD_LIMITS.job);
    if (job !== undefined) return job;
  }
  return undefined;
}

export interface JobSnapshot {
  /** GPU index → job id, from the mapping directory. */
  byIndex: Map<number, string>;
  env?: JobEnv;
}

export interface GpuKey {
  index: number;
  uuid: string;
  /** For a MIG instance: its parent's UUID. */
  parentUuid?: string;
}

/** The job sources' workloads for one GPU: [mapping directory, environment file]. */
export function jobWorkloads(snapshot: JobSnapshot, gpu: GpuKey): [Workload | undefined, Workload | undefined] {
  const mapped = snapshot.byIndex.get(gpu.index);
  const env = snapshot.env;
  let fromEnv: Workload | undefined;
  if (env?.job !== undefined) {
    const covers =
      env.gpus === undefined || env.gpus.some((g) => (/^\d+$/.test(g) ? Number(g) === gpu.index : g === gpu.uuid || g === gpu.parentUuid));
    if (covers) fromEnv = { job: env.job, epoch: env.epoch };
  }
  return [mapped !== undefined ? { job: mapped } : undefined, fromEnv];
}

/** A mapping file holds a job id; an environment file may be a whole job's environment. */
const MAX_MAPPING_FILE_BYTES = 4096;
const MAX_ENV_FILE_BYTES = 256 * 1024;

function readSmall(file: string, maxBytes: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(maxBytes);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads the job mapping directory and the job environment file, once per poll. A missing or unreadable file means
 * "no job" (logged once per change), never a failure.
 */
export class JobSources {
  private problems = new Map<string, string>();

  constructor(
    private readonly options: { jobMappingDir?: string; jobEnvFile?: string },
    private readonly log: Logger,
  ) {}

  get configured(): boolean {
    return Boolean(this.options.jobMappingDir || this.options.jobEnvFile);
  }

  private note(source: string, problem: string | undefined): void {
    const before = this.problems.get(source);
    if (problem === before) return;
    if (problem === undefined) {
      this.problems.delete(source);
      this.log.info(`${source} readable again`, { source });
    } else {
      this.problems.set(source, problem);
      this.log.warn(`${source} unreadable; no job for now`, { source, error: problem });
    }
  }

  read(): JobSnapshot {
    const snapshot: JobSnapshot = { byIndex: new Map() };
    const dir = this.options.jobMappingDir;
    if (dir) {
      try {
        for (const name of fs.readdirSync(dir)) {
          if (!/^\d+$/.test(name)) continue;
          try {
            const job = jobFromMappingFile(readSmall(path.join(dir, name), MAX_MAPPING_FILE_BYTES));
            if (job !== undefined) snapshot.byIndex.set(Number(name), job);
          } catch {
            // A file removed between readdir and open (a job ending): no job for that GPU.
          }
        }
        this.note('job mapping directory', undefined);
      } catch (err) {
        this.note('job mapping directory', (err as Error).message);
      }
    }
    const file = this.options.jobEnvFile;
    if (file) {
      try {
        snapshot.env = jobFromEnv(parseEnvFile(readSmall(file, MAX_ENV_FILE_BYTES)));
        this.note('job environment file', undefined);
      } catch (err) {
        this.note('job environment file', (err as Error).message);
      }
    }
    return snapshot;
  }
}
