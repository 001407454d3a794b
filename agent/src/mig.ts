/**
 * MIG layout from nvidia-smi: which `MIG-…` UUID belongs to which GPU instance.
 *
 * `nvidia-smi -L` lists each GPU and, under it, its MIG devices by MIG device index:
 *
 *     GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-4e1f0a2b-…)
 *       MIG 3g.20gb     Device  0: (UUID: MIG-0d3a5e6f-…)
 *
 * and the `MIG devices:` table of plain `nvidia-smi` maps a MIG device index to its GPU instance (GI) and compute
 * instance (CI): `|  0    1   0   0  | …` = GPU 0, GI 1, CI 0, MIG device 0. dcgm-exporter labels MIG series with the
 * parent's UUID and GPU_I_ID, and dmon keys MIG rows by GPU index and gi_id, so the join key is (parent, GI).
 */
import type { Logger } from './log.js';
import { runNvidiaSmi } from './nvidia-smi.js';

export interface ListedGpu {
  index: number;
  model: string;
  uuid: string;
}

export interface ListedMigDevice {
  /** Index of the parent GPU. */
  gpu: number;
  parentUuid: string;
  /** `3g.20gb`, `1c.3g.20gb`, … */
  profile: string;
  /** MIG device index under the parent. */
  device: number;
  uuid: string;
}

export interface NvidiaSmiList {
  gpus: ListedGpu[];
  migDevices: ListedMigDevice[];
}

const GPU_LINE = /^GPU\s+(\d+):\s*(.*?)\s*\(UUID:\s*(GPU-[^)\s]+)\)\s*$/;
const MIG_LINE = /^MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*(MIG-[^)\s]+)\)\s*$/;

/** Parse `nvidia-smi -L`. */
export function parseNvidiaSmiList(text: string): NvidiaSmiList {
  const out: NvidiaSmiList = { gpus: [], migDevices: [] };
  let parent: ListedGpu | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const gpu = GPU_LINE.exec(line);
    if (gpu) {
      parent = { index: Number(gpu[1]), model: gpu[2]!, uuid: gpu[3]! };
      out.gpus.push(parent);
      continue;
    }
    const mig = MIG_LINE.exec(line);
    if (mig && parent) {
      out.migDevices.push({ gpu: parent.index, parentUuid: parent.uuid, profile: mig[1]!, device: Number(mig[2]), uuid: mig[3]! });
    }
  }
  return out;
}

export interface MigTableRow {
  gpu: number;
  gpuInstanceId: number;
  computeInstanceId: number;
  /** MIG device index (the `Device  N` of `nvidia-smi -L`). */
  device: number;
}

const MIG_TABLE_ROW = /^\|\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\|/;

/** Parse the `MIG devices:` section of plain `nvidia-smi` output. */
export function parseMigDeviceTable(text: string): MigTableRow[] {
  const rows: MigTableRow[] = [];
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (/^\|\s*MIG devices:/.test(line)) {
      inSection = true;
      continue;
    }
    if (!inSection) continue;
    if (/^\|\s*Processes:/.test(line)) break;
    const m = MIG_TABLE_ROW.exec(line);
    if (m) rows.push({ gpu: Number(m[1]), gpuInstanceId: Number(m[2]), computeInstanceId: Number(m[3]), device: Number(m[4]) });
  }
  return rows;
}

export interface MigInstance {
  uuid: string;
  profile: string;
}

export function migInstanceKey(parentUuid: string, gpuInstanceId: number): string {
  return `${parentUuid}|${gpuInstanceId}`;
}

/**
 * (parent UUID, GI id) → MIG device. A GPU instance split into several compute instances has several MIG devices and
 * no single UUID: it is left out (the caller falls back to `<parent>/gi<id>`).
 */
export function migInstancesFrom(list: NvidiaSmiList, table: readonly MigTableRow[]): Map<string, MigInstance> {
  const byDevice = new Map(list.migDevices.map((d) => [`${d.gpu}|${d.device}`, d]));
  const found = new Map<string, MigInstance[]>();
  for (const row of table) {
    const device = byDevice.get(`${row.gpu}|${row.device}`);
    if (!device) continue;
    const key = migInstanceKey(device.parentUuid, row.gpuInstanceId);
    found.set(key, [...(found.get(key) ?? []), { uuid: device.uuid, profile: device.profile }]);
  }
  const out = new Map<string, MigInstance>();
  for (const [key, devices] of found) if (devices.length === 1) out.set(key, devices[0]!);
  return out;
}

/** Refreshed at start and when the GPU set changes, at most every 60 s. */
export const MIG_REFRESH_MIN_MS = 60_000;

/**
 * The host's MIG layout as nvidia-smi tells it. Unknown (never read, or nvidia-smi failed) means no MIG UUIDs: the agent
 * then sends `<parent UUID>/gi<id>` as before.
 */
export class MigLayout {
  /** Some GPU has MIG devices (`nvidia-smi -L`). */
  hasMig = false;
  private instances = new Map<string, MigInstance>();
  private lastRefreshAt: number | undefined;
  private signature: string | undefined;
  private lastProblem: string | undefined;

  constructor(
    private readonly options: { nvidiaSmiPath: string; timeoutMs: number },
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  instance(parentUuid: string, gpuInstanceId: number): MigInstance | undefined {
    return this.instances.get(migInstanceKey(parentUuid, gpuInstanceId));
  }

  /**
   * Read the layout at the first call, and again when `signature` (the GPU set) changed and 60 s have passed. Without a
   * signature (before the first poll) the next one given is taken as the set the layout was read for.
   */
  async refreshIfDue(signature?: string): Promise<void> {
    const now = this.now();
    if (this.lastRefreshAt !== undefined && this.signature === undefined) {
      this.signature = signature;
      return;
    }
    if (this.lastRefreshAt !== undefined) {
      if (signature === this.signature && this.lastProblem === undefined) return;
      if (now - this.lastRefreshAt < MIG_REFRESH_MIN_MS) return;
    }
    this.lastRefreshAt = now;
    this.signature = signature;
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    const run = (args: string[]) => runNvidiaSmi({ path: this.options.nvidiaSmiPath, timeoutMs: this.options.timeoutMs, args });
    try {
      const listed = await run(['-L']);
      if (listed.exitCode !== 0)
        throw new Error(`nvidia-smi -L exited ${listed.exitCode}: ${(listed.stderr || listed.stdout).trim().slice(0, 200)}`);
      const list = parseNvidiaSmiList(listed.stdout);
      this.hasMig = list.migDevices.length > 0;
      let instances = new Map<string, MigInstance>();
      if (this.hasMig) {
        const plain = await run([]);
        instances = migInstancesFrom(list, parseMigDeviceTable(plain.stdout));
      }
      const before = [...this.instances]
        .map(([k, v]) => `${k}=${v.uuid}`)
        .sort()
        .join(',');
      const after = [...instances]
        .map(([k, v]) => `${k}=${v.uuid}`)
        .sort()
        .join(',');
      this.instances = instances;
      if (before !== after || this.lastProblem !== undefined) {
        this.log.info('MIG layout', { migDevices: list.migDevices.length, mapped: [...instances.values()].map((i) => i.uuid) });
      }
      this.lastProblem = undefined;
    } catch (err) {
      const message = (err as Error).message;
      this.instances = new Map();
      if (message !== this.lastProblem) this.log.warn('MIG layout unknown; MIG instances keep <parent UUID>/gi<id>', { error: message });
      this.lastProblem = message;
    }
  }
}
