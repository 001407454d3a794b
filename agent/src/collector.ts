/**
 * One poll of the host: dcgm-exporter when it answers with GPUs (it has the profiling fields such as
 * DCGM_FI_PROF_SM_ACTIVE), nvidia-smi otherwise (its `--query-gpu` fields plus, on Hopper and newer, GPM fields from a
 * long-lived `nvidia-smi dmon`); plus the inference servers, if any. MIG instances get their `MIG-…` UUIDs where
 * nvidia-smi lists them, and samples get the workload the host knows about.
 */
import type { GpmMode, SourceMode } from './config.js';
import { gpuReadingsFromDcgmText, migInstanceUuid } from './dcgm-exporter.js';
import { DCGM } from './dcgm-fields.js';
import { httpRequest, loggableUrl } from './http-client.js';
import { inferenceReadingsFromVllmText } from './inference.js';
import type { GpmReading } from './dmon-format.js';
import { GpmDmon } from './gpm-dmon.js';
import { errorFields, type Logger } from './log.js';
import { MigLayout } from './mig.js';
import { parseNvidiaSmiCsv, runNvidiaSmi, type GpuReading } from './nvidia-smi.js';
import type { AgentStats } from './stats.js';
import type { GpuSample, InferenceReading } from './wire.js';
import { JobSources, jobWorkloads, mergeWorkloads, type JobSnapshot } from './workload.js';

export interface CollectorOptions {
  source: SourceMode;
  dcgmUrl: string;
  nvidiaSmiPath: string;
  inferenceUrls: string[];
  timeoutMs: number;
  /** Between polls; with the GPM interval it bounds how long MIG-instance rows keep a card reported per instance. */
  pollIntervalMs?: number;
  gpm?: GpmMode;
  gpmIntervalSeconds?: number;
  /** --once: the first poll waits this long (from dmon's start) for the first GPM reading. */
  gpmFirstPollWaitMs?: number;
  jobMappingDir?: string;
  jobEnvFile?: string;
}

export interface PollResult {
  source: 'dcgm' | 'nvidia-smi' | 'none';
  samples: GpuSample[];
  inference: InferenceReading[];
}

export class Collector {
  private lastSource: PollResult['source'] | undefined;
  private lastError = new Map<string, string>();
  private knownGpus = new Set<string>();
  private lastEnergy = new Map<string, number>();
  private lastSmiProblem: string | undefined;
  private readonly gpm: GpmDmon | undefined;
  private readonly migLayout: MigLayout;
  private readonly jobs: JobSources;
  private gpmWaited = false;

  constructor(
    private readonly options: CollectorOptions,
    private readonly log: Logger,
    private readonly stats: AgentStats,
  ) {
    if ((options.gpm ?? 'auto') === 'auto') {
      this.gpm = new GpmDmon({ nvidiaSmiPath: options.nvidiaSmiPath, intervalSeconds: options.gpmIntervalSeconds ?? 1, log, stats });
    }
    this.migLayout = new MigLayout({ nvidiaSmiPath: options.nvidiaSmiPath, timeoutMs: options.timeoutMs }, log);
    this.jobs = new JobSources({ jobMappingDir: options.jobMappingDir, jobEnvFile: options.jobEnvFile }, log);
  }

  /** The nvidia-smi path is known before the first poll (no dcgm-exporter to try). */
  private get nvidiaSmiOnly(): boolean {
    return this.options.source === 'nvidia-smi' || (this.options.source === 'auto' && !this.options.dcgmUrl);
  }

  /** Before the first poll: when only nvidia-smi can answer, read the MIG layout and start dmon so GPM warms up. */
  async prepare(): Promise<void> {
    if (!this.gpm || !this.nvidiaSmiOnly) return;
    await this.migLayout.refreshIfDue();
    this.gpm.setMig(this.migLayout.hasMig);
    this.gpm.ensureRunning();
  }

  /** Stop the dmon child (agent shutdown, --once): no process is left behind. */
  async close(): Promise<void> {
    await this.gpm?.stop();
  }

  /** pid of the running dmon child, for the agent's own CPU accounting. */
  get gpmChildPid(): number | undefined {
    return this.gpm?.childPid;
  }

  /** Log a source failure once per change of message, not every poll. */
  private noteFailure(source: string, err: unknown): void {
    const message = errorFields(err).error as string;
    if (this.lastError.get(source) !== message) {
      this.lastError.set(source, message);
      this.log.warn(`${source} unavailable`, { source, ...errorFields(err) });
    } else {
      this.log.debug(`${source} still unavailable`, { source });
    }
  }

  private noteSuccess(source: string): void {
    if (this.lastError.delete(source)) this.log.info(`${source} available again`, { source });
  }

  private async fromDcgm(): Promise<GpuReading[] | undefined> {
    try {
      const res = await httpRequest(this.options.dcgmUrl, {
        timeoutMs: this.options.timeoutMs,
        maxResponseBytes: 16 * 1024 * 1024,
        headers: { Accept: 'text/plain' },
      });
      if (res.status !== 200) throw new Error(`dcgm-exporter answered ${res.status} (${loggableUrl(this.options.dcgmUrl)})`);
      const parsed = gpuReadingsFromDcgmText(res.body);
      if (parsed.gpus.length === 0) throw new Error('dcgm-exporter page has no GPU series');
      this.noteSuccess('dcgm-exporter');
      return parsed.gpus;
    } catch (err) {
      this.noteFailure('dcgm-exporter', err);
      return undefined;
    }
  }

  private async fromNvidiaSmi(): Promise<GpuReading[] | undefined> {
    try {
      const output = await runNvidiaSmi({ path: this.options.nvidiaSmiPath, timeoutMs: this.options.timeoutMs });
      const parsed = parseNvidiaSmiCsv(output.stdout);
      const problem = [...parsed.skippedLines, output.stderr.trim()].filter(Boolean)[0]?.slice(0, 200);
      if (parsed.gpus.length === 0) {
        throw new Error(`nvidia-smi listed no GPUs (exit ${output.exitCode})${problem ? `: ${problem}` : ''}`);
      }
      const degraded = output.exitCode !== 0 || parsed.skippedLines.length > 0 ? `${output.exitCode}:${problem}` : undefined;
      if (degraded !== this.lastSmiProblem && degraded) {
        // E.g. a GPU fell off the bus: the others are still reported.
        this.log.warn('nvidia-smi reported a problem; using the rows it printed', {
          exitCode: output.exitCode,
          gpus: parsed.gpus.length,
          problem,
        });
      }
      this.lastSmiProblem = degraded;
      this.noteSuccess('nvidia-smi');
      return parsed.gpus;
    } catch (err) {
      this.noteFailure('nvidia-smi', err);
      return undefined;
    }
  }

  private async fromInference(time: string): Promise<InferenceReading[]> {
    const all = await Promise.all(
      this.options.inferenceUrls.map(async (url) => {
        const name = `inference server ${loggableUrl(url)}`;
        try {
          const res = await httpRequest(url, { timeoutMs: this.options.timeoutMs, maxResponseBytes: 16 * 1024 * 1024 });
          if (res.status !== 200) throw new Error(`answered ${res.status}`);
          this.noteSuccess(name);
          return inferenceReadingsFromVllmText(res.body, loggableUrl(url), time);
        } catch (err) {
          this.noteFailure(name, err);
          return [];
        }
      }),
    );
    return all.flat();
  }

  /** Note GPUs that appeared or vanished, and energy counters that went backwards (driver reload, GPU reset). */
  private track(readings: GpuReading[]): void {
    const now = new Set(readings.map((r) => r.uuid));
    const appeared = [...now].filter((u) => !this.knownGpus.has(u));
    const vanished = [...this.knownGpus].filter((u) => !now.has(u));
    if (this.knownGpus.size > 0 && (appeared.length > 0 || vanished.length > 0)) {
      this.log.warn('GPU set changed', { appeared, vanished, gpus: now.size });
    }
    this.knownGpus = now;
    for (const r of readings) {
      const energy = r.fields[DCGM.TOTAL_ENERGY_CONSUMPTION];
      if (energy === undefined) continue;
      const previous = this.lastEnergy.get(r.uuid);
      if (previous !== undefined && energy < previous) {
        this.stats.energyCounterResets += 1;
        this.log.info('energy counter went backwards (reset); raw values are sent, the server handles the reset', {
          uuid: r.uuid,
          previous,
          current: energy,
        });
      }
      this.lastEnergy.set(r.uuid, energy);
    }
    for (const u of vanished) this.lastEnergy.delete(u);
  }

  async poll(at: Date = new Date()): Promise<PollResult> {
    const time = at.toISOString();
    const inferencePromise = this.options.inferenceUrls.length > 0 ? this.fromInference(time) : Promise.resolve([]);
    let readings: GpuReading[] | undefined;
    let source: PollResult['source'] = 'none';
    const mode = this.options.source;
    if ((mode === 'auto' || mode === 'dcgm') && this.options.dcgmUrl) {
      readings = await this.fromDcgm();
      if (readings) source = 'dcgm';
    }
    if (!readings && (mode === 'auto' || mode === 'nvidia-smi')) {
      readings = await this.fromNvidiaSmi();
      if (readings) source = 'nvidia-smi';
    }
    const inference = await inferencePromise;
    this.stats.polls += 1;
    if (!readings) {
      this.stats.pollFailures += 1;
      readings = [];
    }
    if (source !== this.lastSource) {
      this.log.info('GPU source', { source, gpus: readings.length });
      this.lastSource = source;
    }
    if (source === 'nvidia-smi') readings = await this.withGpm(readings);
    else if (source === 'dcgm') {
      // dcgm-exporter has the profiling fields itself: no dmon beside it.
      if (this.gpm?.active) await this.gpm.stop();
      if (readings.some((r) => r.mig))
        await this.migLayout.refreshIfDue(
          readings
            .map((r) => r.uuid)
            .sort()
            .join(','),
        );
    }
    for (const r of readings) {
      if (!r.mig) continue;
      const instance = this.migLayout.instance(r.mig.parentUuid, r.mig.gpuInstanceId);
      if (instance) r.uuid = instance.uuid;
    }
    this.track(readings);
    const jobs = this.jobs.configured ? this.jobs.read() : undefined;
    const samples: GpuSample[] = readings.map((r) => {
      const sample: GpuSample = {
        time,
        gpu: { index: r.index, uuid: r.uuid.slice(0, 128), model: r.model.slice(0, 128) },
        fields: r.fields,
      };
      const workload = this.workloadOf(r, jobs);
      if (workload) sample.workload = workload;
      return sample;
    });
    this.stats.samplesCollected += samples.length;
    return { source, samples, inference };
  }

  private workloadOf(r: GpuReading, jobs: JobSnapshot | undefined) {
    if (!jobs) return r.workload;
    const [mapped, env] = jobWorkloads(jobs, { index: r.index, uuid: r.uuid, parentUuid: r.mig?.parentUuid });
    return mergeWorkloads(r.workload, mapped, env);
  }

  /**
   * The nvidia-smi path: make sure dmon runs (with MIG level when the host has MIG devices), then merge the mean GPM
   * readings since the last poll into the `--query-gpu` reading of the same index. A GPU whose MIG instances print
   * GPM rows is sent as one sample per instance (instance GPM fields only) instead of one for the card.
   */
  private async withGpm(readings: GpuReading[]): Promise<GpuReading[]> {
    const gpm = this.gpm;
    if (!gpm) return readings;
    const gpmMs = (this.options.gpmIntervalSeconds ?? 1) * 1000;
    const recentMs = 3 * gpmMs + (this.options.pollIntervalMs ?? 10_000);
    const instanced = gpm.readings.gpusWithInstancesSince(Date.now() - recentMs);
    const signature = [...readings.map((r) => `${r.index}:${r.uuid}`).sort(), ...[...instanced].sort().map((g) => `mig${g}`)].join(',');
    await this.migLayout.refreshIfDue(signature);
    gpm.setMig(this.migLayout.hasMig);
    gpm.ensureRunning();
    const firstWaitMs = this.options.gpmFirstPollWaitMs ?? 0;
    if (!this.gpmWaited && firstWaitMs > 0) {
      this.gpmWaited = true;
      const startedAt = gpm.childStartedAt ?? Date.now();
      await gpm.waitForReading(startedAt + firstWaitMs - Date.now());
    }
    const taken = gpm.take();
    if (taken.length === 0) return readings;
    const byIndex = new Map(readings.map((r) => [r.index, r]));
    const instancesOf = new Map<number, GpmReading[]>();
    for (const g of taken) {
      if (g.gpuInstanceId === undefined) {
        const reading = byIndex.get(g.gpu);
        if (reading) reading.fields = { ...reading.fields, ...g.fields };
      } else {
        instancesOf.set(g.gpu, [...(instancesOf.get(g.gpu) ?? []), g]);
      }
    }
    const reportedPerInstance = gpm.readings.gpusWithInstancesSince(Date.now() - recentMs);
    const out: GpuReading[] = [];
    for (const parent of readings) {
      if (!reportedPerInstance.has(parent.index)) {
        out.push(parent);
        continue;
      }
      for (const g of instancesOf.get(parent.index) ?? []) {
        const gi = g.gpuInstanceId!;
        const known = this.migLayout.instance(parent.uuid, gi);
        out.push({
          index: parent.index,
          uuid: known?.uuid ?? migInstanceUuid(parent.uuid, String(gi)),
          model: `${parent.model} MIG ${known?.profile ?? `gi${gi}`}`,
          fields: g.fields,
          mig: { parentUuid: parent.uuid, gpuInstanceId: gi },
        });
      }
    }
    return out;
  }
}
