/**
 * nvidia-smi dmon's plain format: its header and units lines, rows per device (and per MIG instance with
 * `--gpm-options dm`), GPM columns mapped by name to DCGM fields as ratios 0..1, and the per-poll mean of the rows.
 */
/** Graphics activity, SM activity, SM occupancy, tensor activity, DRAM activity (`nvidia-smi dmon --help`). */
export const DMON_GPM_METRIC_IDS = [1, 2, 3, 5, 10] as const;

/** dmon GPM column → DCGM field. */
export const GPM_COLUMN_TO_DCGM: Readonly<Record<string, string>> = {
  gract: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
  smutil: 'DCGM_FI_PROF_SM_ACTIVE',
  smocc: 'DCGM_FI_PROF_SM_OCCUPANCY',
  mmaact: 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE',
  dramact: 'DCGM_FI_PROF_DRAM_ACTIVE',
  dram: 'DCGM_FI_PROF_DRAM_ACTIVE',
  fp16: 'DCGM_FI_PROF_PIPE_FP16_ACTIVE',
  fp32: 'DCGM_FI_PROF_PIPE_FP32_ACTIVE',
  fp64: 'DCGM_FI_PROF_PIPE_FP64_ACTIVE',
};

/** Columns dmon prints that the agent reads elsewhere (--query-gpu) or uses as keys: not "unknown". */
const OTHER_KNOWN_COLUMNS = new Set([
  'gpu',
  'mig_id',
  'gi_id',
  'ci_id',
  'pwr',
  'gtemp',
  'mtemp',
  'sm',
  'mem',
  'enc',
  'dec',
  'jpg',
  'ofa',
  'mclk',
  'pclk',
  'date',
  'time',
]);

/** What dmon prints when it will not monitor GPM (old GPU, old driver, bad option). */
export const REFUSAL = /not supported|invalid|failed to process command line|unknown option|unrecognized option|usage:/i;

export interface DmonRow {
  /** nvidia-smi index of the GPU (for a MIG instance: its parent). */
  gpu: number;
  /** GPU instance id: present on MIG-level rows only. */
  gpuInstanceId?: number;
  computeInstanceId?: number;
  /** DCGM field → ratio 0..1, only the readings that exist. */
  fields: Record<string, number>;
}

export type DmonLine =
  | { kind: 'header'; columns: string[]; unknownColumns: string[] }
  | { kind: 'comment' }
  | { kind: 'blank' }
  | { kind: 'row'; row: DmonRow }
  | { kind: 'garbage'; line: string; refusal: boolean };

/** `39` → 0.39; `-`, `–`, `N/A` or anything else that is not a number → no reading. */
export function gpmPercentToRatio(cell: string): number | undefined {
  if (!/^[-+]?\d+(?:\.\d+)?$/.test(cell)) return undefined;
  const n = Number(cell) / 100;
  if (!Number.isFinite(n)) return undefined;
  return Math.min(1, Math.max(0, n));
}

const INTEGER = /^\d+$/;

/** Line-by-line parser of dmon's plain format. Keeps the current header; a reprinted header is read again. */
export class DmonParser {
  private columns: string[] | undefined;
  private gpuAt = -1;
  private giAt = -1;
  private ciAt = -1;
  private gpmAt: Array<[number, string]> = [];

  parseLine(raw: string): DmonLine {
    const line = raw.trim();
    if (line === '') return { kind: 'blank' };
    if (line.startsWith('#')) {
      const names = line
        .slice(1)
        .trim()
        .split(/\s+/)
        .map((n) => n.toLowerCase());
      if (!names.includes('gpu')) return { kind: 'comment' }; // the units line (`# Idx W C …`)
      this.columns = names;
      this.gpuAt = names.indexOf('gpu');
      this.giAt = names.indexOf('gi_id');
      this.ciAt = names.indexOf('ci_id');
      this.gpmAt = [];
      const unknownColumns: string[] = [];
      names.forEach((name, i) => {
        const field = GPM_COLUMN_TO_DCGM[name];
        if (field) this.gpmAt.push([i, field]);
        else if (!OTHER_KNOWN_COLUMNS.has(name)) unknownColumns.push(name);
      });
      return { kind: 'header', columns: names, unknownColumns };
    }
    const cells = line.split(/\s+/);
    const garbage = () => ({ kind: 'garbage' as const, line, refusal: REFUSAL.test(line) });
    if (!this.columns || cells.length !== this.columns.length) return garbage();
    const gpuCell = cells[this.gpuAt]!;
    if (!INTEGER.test(gpuCell)) return garbage();
    const row: DmonRow = { gpu: Number(gpuCell), fields: {} };
    if (this.giAt >= 0 && INTEGER.test(cells[this.giAt]!)) {
      row.gpuInstanceId = Number(cells[this.giAt]);
      if (this.ciAt >= 0 && INTEGER.test(cells[this.ciAt]!)) row.computeInstanceId = Number(cells[this.ciAt]);
    }
    for (const [i, field] of this.gpmAt) {
      const value = gpmPercentToRatio(cells[i]!);
      if (value !== undefined) row.fields[field] = value;
    }
    return { kind: 'row', row };
  }
}

export interface DmonParseResult {
  rows: DmonRow[];
  garbageLines: string[];
  /** Lines that say GPM will not be monitored (`Not supported on the device(s)`, …). */
  refusals: string[];
  unknownColumns: string[];
}

/** Parse a whole dmon output (for tests and tools; the agent parses line by line as the child prints). */
export function parseDmonText(text: string): DmonParseResult {
  const parser = new DmonParser();
  const result: DmonParseResult = { rows: [], garbageLines: [], refusals: [], unknownColumns: [] };
  for (const raw of text.split(/\r?\n/)) {
    const parsed = parser.parseLine(raw);
    if (parsed.kind === 'row') result.rows.push(parsed.row);
    else if (parsed.kind === 'header') {
      for (const c of parsed.unknownColumns) if (!result.unknownColumns.includes(c)) result.unknownColumns.push(c);
    } else if (parsed.kind === 'garbage') (parsed.refusal ? result.refusals : result.garbageLines).push(parsed.line);
  }
  return result;
}

/** Mean GPM readings of one device or MIG instance over the rows since the last poll. */
export interface GpmReading {
  gpu: number;
  gpuInstanceId?: number;
  fields: Record<string, number>;
  /** Rows averaged. */
  rows: number;
}

export function keyOf(row: { gpu: number; gpuInstanceId?: number }): string {
  return row.gpuInstanceId === undefined ? `${row.gpu}` : `${row.gpu}/gi${row.gpuInstanceId}`;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

interface Pending {
  gpu: number;
  gpuInstanceId?: number;
  sums: Record<string, number>;
  counts: Record<string, number>;
  rows: number;
}

/**
 * Rows per device / MIG instance since the last `take()`. Each 1 s GPM sample covers the second before it, so the mean of
 * the rows between two polls is the mean over the poll interval. Nothing is ever repeated: a poll that saw no new row
 * gets no GPM reading for that device.
 */
export class GpmAccumulator {
  private pending = new Map<string, Pending>();
  /** When each parent GPU last printed a MIG-instance row. */
  private instanceRowAt = new Map<number, number>();

  add(row: DmonRow, at: number): void {
    const key = keyOf(row);
    let p = this.pending.get(key);
    if (!p) {
      p = { gpu: row.gpu, gpuInstanceId: row.gpuInstanceId, sums: {}, counts: {}, rows: 0 };
      this.pending.set(key, p);
    }
    p.rows += 1;
    for (const [field, value] of Object.entries(row.fields)) {
      p.sums[field] = (p.sums[field] ?? 0) + value;
      p.counts[field] = (p.counts[field] ?? 0) + 1;
    }
    if (row.gpuInstanceId !== undefined) this.instanceRowAt.set(row.gpu, at);
  }

  /** The mean of each field over the rows since the last take (a field counts only the rows that had it). */
  take(): GpmReading[] {
    const out: GpmReading[] = [];
    for (const p of this.pending.values()) {
      const fields: Record<string, number> = {};
      for (const [field, sum] of Object.entries(p.sums)) fields[field] = round6(sum / p.counts[field]!);
      if (Object.keys(fields).length === 0) continue;
      const reading: GpmReading = { gpu: p.gpu, fields, rows: p.rows };
      if (p.gpuInstanceId !== undefined) reading.gpuInstanceId = p.gpuInstanceId;
      out.push(reading);
    }
    this.pending.clear();
    return out.sort((a, b) => a.gpu - b.gpu || (a.gpuInstanceId ?? -1) - (b.gpuInstanceId ?? -1));
  }

  /** Parent GPUs that printed MIG-instance rows since `since` (ms): those are reported per instance, not as a card. */
  gpusWithInstancesSince(since: number): Set<number> {
    const out = new Set<number>();
    for (const [gpu, at] of this.instanceRowAt) if (at >= since) out.add(gpu);
    return out;
  }

  clear(): void {
    this.pending.clear();
    this.instanceRowAt.clear();
  }
}
