/**
 * nvidia-smi source: runs `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` and turns its CSV into DCGM-named readings.
 */
import { execFile } from 'node:child_process';
import type { Workload } from './wire.js';
import { DCGM, NVIDIA_SMI_ARGS, NVIDIA_SMI_QUERY_COLUMNS, NVIDIA_SMI_TO_DCGM, type NvidiaSmiColumn } from './dcgm-fields.js';

export interface GpuReading {
  index: number;
  uuid: string;
  model: string;
  fields: Record<string, number>;
  /** A MIG GPU instance: its parent GPU and instance id (the key for its `MIG-…` UUID). */
  mig?: { parentUuid: string; gpuInstanceId: number };
  /** What runs on it, from the source's own labels (dcgm-exporter pod labels). */
  workload?: Workload;
}

export interface NvidiaSmiParseResult {
  gpus: GpuReading[];
  /** Lines that were not GPU rows (driver messages, malformed rows), for logging. */
  skippedLines: string[];
}

/** nvidia-smi's spellings of "no reading". Any value in brackets is one (`[N/A]`, `[Not Supported]`, `[Unknown Error]`, `[GPU is lost]`). */
function isNoReading(value: string): boolean {
  return value === '' || value === 'N/A' || (value.startsWith('[') && value.endsWith(']'));
}

/** "81559 MiB" → 81559, "98 %" → 98, "[N/A]" → undefined. */
export function parseNvidiaSmiNumber(raw: string): number | undefined {
  const value = raw.trim();
  if (isNoReading(value)) return undefined;
  const match = /^([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?:\s*[A-Za-z%]+)?$/.exec(value);
  if (!match) return undefined;
  const n = Number(match[1]);
  return Number.isFinite(n) ? n : undefined;
}

/** "utilization.gpu [%]" → "utilization.gpu". */
function headerName(raw: string): string {
  return raw.trim().replace(/\s*\[[^\]]*\]$/, '');
}

function looksLikeHeader(cells: string[]): boolean {
  return cells.some((c) => headerName(c) === 'uuid') && cells.some((c) => headerName(c) === 'index');
}

/**
 * Parse nvidia-smi CSV output. Tolerates a header line (with or without units, in any column order), units after values,
 * `[N/A]`/`[Not Supported]`, blank lines and driver messages; a value without a reading is left out of `fields`.
 */
export function parseNvidiaSmiCsv(output: string): NvidiaSmiParseResult {
  const gpus: GpuReading[] = [];
  const skippedLines: string[] = [];
  let columns: readonly string[] = NVIDIA_SMI_QUERY_COLUMNS;
  for (const rawLine of output.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '') continue;
    const cells = line.split(',').map((c) => c.trim());
    if (looksLikeHeader(cells)) {
      columns = cells.map(headerName);
      continue;
    }
    if (cells.length !== columns.length) {
      skippedLines.push(line);
      continue;
    }
    const row = new Map<string, string>();
    columns.forEach((name, i) => row.set(name, cells[i]!));
    const index = parseNvidiaSmiNumber(row.get('index') ?? '');
    const uuid = row.get('uuid') ?? '';
    if (index === undefined || !Number.isInteger(index) || index < 0 || isNoReading(uuid)) {
      skippedLines.push(line);
      continue;
    }
    const name = row.get('name');
    const fields: Record<string, number> = {};
    for (const [column, field] of Object.entries(NVIDIA_SMI_TO_DCGM) as [NvidiaSmiColumn, string][]) {
      const value = parseNvidiaSmiNumber(row.get(column) ?? '');
      if (value !== undefined && value >= 0) fields[field] = value;
    }
    const used = parseNvidiaSmiNumber(row.get('memory.used') ?? '');
    const total = parseNvidiaSmiNumber(row.get('memory.total') ?? '');
    if (used !== undefined && total !== undefined && total >= used && used >= 0) fields[DCGM.FB_FREE] = total - used;
    gpus.push({ index, uuid, model: name && !isNoReading(name) ? name : 'unknown', fields });
  }
  return { gpus, skippedLines };
}

export interface NvidiaSmiRunOptions {
  path: string;
  timeoutMs: number;
  /** Default: the `--query-gpu` query. */
  args?: readonly string[];
}

export interface NvidiaSmiOutput {
  stdout: string;
  /** Non-zero when nvidia-smi reported a problem; with a lost GPU it still prints the rows of the others. */
  exitCode: number;
  stderr: string;
}

/** Run nvidia-smi once (the `--query-gpu` query unless `args` say otherwise); rejects only when it cannot be started or times out. */
export function runNvidiaSmi(options: NvidiaSmiRunOptions): Promise<NvidiaSmiOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      options.path,
      [...(options.args ?? NVIDIA_SMI_ARGS)],
      { timeout: options.timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as { code?: unknown }).code;
          if (typeof code === 'number' && !error.killed) {
            resolve({ stdout, exitCode: code, stderr });
            return;
          }
          const reason = error.killed ? `timed out after ${options.timeoutMs} ms` : error.message;
          reject(
            Object.assign(new Error(`cannot run nvidia-smi (${options.path}): ${reason}`), {
              code: typeof code === 'string' ? code : undefined,
            }),
          );
          return;
        }
        resolve({ stdout, exitCode: 0, stderr });
      },
    );
  });
}
