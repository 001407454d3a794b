/**
 * One poll of the host: dcgm-exporter when it answers with GPUs (it has the profiling fields such as
 * DCGM_FI_PROF_SM_ACTIVE), nvidia-smi otherwise; plus the inference servers, if any.
 */
import type { SourceMode } from './config.js';
import { gpuReadingsFromDcgmText } from './dcgm-exporter.js';
import { DCGM } from './dcgm-fields.js';
import { httpRequest, loggableUrl } from './http-client.js';
import { inferenceReadingsFromVllmText } from './inference.js';
import { errorFields, type Logger } from './log.js';
import { parseNvidiaSmiCsv, runNvidiaSmi, type GpuReading } from './nvidia-smi.js';
import type { AgentStats } from './stats.js';
import type { GpuSample, InferenceReading } from './wire.js';

export interface CollectorOptions {
  source: SourceMode;
  dcgmUrl: string;
  nvidiaSmiPath: string;
  inferenceUrls: string[];
  timeoutMs: number;
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

  constructor(
    private readonly options: CollectorOptions,
    private readonly log: Logger,
    private readonly stats: AgentStats,
  ) {}

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
    this.track(readings);
    const samples: GpuSample[] = readings.map((r) => ({
      time,
      gpu: { index: r.index, uuid: r.uuid.slice(0, 128), model: r.model.slice(0, 128) },
      fields: r.fields,
    }));
    this.stats.samplesCollected += samples.length;
    return { source, samples, inference };
  }
}
