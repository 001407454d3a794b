/**
 * The agent's run loop: poll every pollInterval, send a batch every flushInterval, spool and replay on failure,
 * flush on SIGTERM/SIGINT. `--once` collects one batch, sends it and returns an exit code.
 */
import fs from 'node:fs';
import { buildBatches, type BatchLimits } from './batch.js';
import { Collector } from './collector.js';
import type { AgentConfig } from './config.js';
import { Outbox } from './delivery.js';
import { resolveHost } from './identity.js';
import { postBatch } from './ingest-client.js';
import { errorFields, type Logger } from './log.js';
import { Spool } from './spool.js';
import { newStats, type AgentStats } from './stats.js';
import type { GpuSample, HostDescription, InferenceReading } from './wire.js';

export const EXIT = {
  ok: 0,
  /** --once: delivery failed for now; the batch is spooled for the next run. */
  deliveryFailed: 1,
  /** --once: the server rejected the batch (400/401/403/413/415). */
  rejected: 2,
  config: 3,
  /** --once: no GPU could be read. */
  noData: 4,
} as const;

/** CPU of child processes waited for (nvidia-smi), from /proc/self/stat cutime + cstime; Linux only (USER_HZ = 100). */
function childrenCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[13]) + Number(fields[14]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU of a running process (and of the children it waited for), from /proc/<pid>/stat; Linux only. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The agent's own footprint, logged with every flush: CPU so far (its own, its exited nvidia-smi children's, the running
 * dmon child's) and memory. A dmon child's CPU moves from `dmonCpuMs` to `childrenCpuMs` when it exits.
 */
function selfUsage(rt?: Runtime): Record<string, number | undefined> {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    cpuUserMs: Math.round(cpu.user / 1000),
    cpuSystemMs: Math.round(cpu.system / 1000),
    childrenCpuMs: childrenCpuMs(),
    dmonCpuMs: processCpuMs(rt?.collector.gpmChildPid),
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
  };
}

/** dmon prints GPM values once it has two GPM samples: about 2 s after it starts at -d 1. */
const ONCE_GPM_WAIT_MS = 3000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

interface Runtime {
  config: AgentConfig;
  log: Logger;
  stats: AgentStats;
  host: HostDescription;
  spool: Spool;
  outbox: Outbox;
  collector: Collector;
  limits: BatchLimits;
}

async function setUp(config: AgentConfig, log: Logger, version: string): Promise<Runtime> {
  log.redact(config.token);
  const stats = newStats();
  const { host, detected } = await resolveHost({
    hostId: config.hostId,
    provider: config.provider,
    pool: config.pool,
    labels: config.labels,
    instanceId: config.instanceId,
    instanceType: config.instanceType,
    region: config.region,
    endpoints: { aws: config.awsMetadataUrl, azure: config.azureMetadataUrl, gcp: config.gcpMetadataUrl },
    timeoutMs: config.metadataTimeoutMs,
  });
  log.info('host identity', { ...host, metadata: detected ? detected.provider : 'none answered' });
  const spool = Spool.open(config.spoolDir, { maxBytes: config.spoolMaxBytes, maxBatches: config.spoolMaxBatches }, log);
  const ingest = { url: config.url, token: config.token, timeoutMs: config.requestTimeoutMs, userAgent: `compute-ledger-agent/${version}` };
  const outbox = new Outbox(
    spool,
    (body, signal) => postBatch(ingest, body, signal),
    { initialMs: config.retryInitialMs, maxMs: config.retryMaxMs },
    log,
    stats,
  );
  const collector = new Collector(
    {
      source: config.source,
      dcgmUrl: config.dcgmUrl,
      nvidiaSmiPath: config.nvidiaSmiPath,
      inferenceUrls: config.inferenceUrls,
      timeoutMs: config.scrapeTimeoutMs,
      pollIntervalMs: config.once ? config.onceIntervalMs : config.pollIntervalMs,
      gpm: config.gpm,
      gpmIntervalSeconds: config.gpmIntervalSeconds,
      // --once: let the first poll wait (up to ~3 s from dmon's start) for dmon's first GPM reading.
      gpmFirstPollWaitMs: config.once ? ONCE_GPM_WAIT_MS : 0,
      jobMappingDir: config.jobMappingDir,
      jobEnvFile: config.jobEnvFile,
    },
    log,
    stats,
  );
  return {
    config,
    log,
    stats,
    host,
    spool,
    outbox,
    collector,
    limits: { maxSamples: config.maxSamplesPerBatch, maxCompressedBytes: config.maxBatchBytes },
  };
}

function batchesFor(rt: Runtime, samples: GpuSample[], inference: InferenceReading[]) {
  return buildBatches(rt.host, samples, inference, rt.limits, () => rt.spool.nextSeq());
}

async function runOnce(rt: Runtime): Promise<number> {
  const samples: GpuSample[] = [];
  const inference: InferenceReading[] = [];
  const never = new AbortController().signal;
  try {
    await rt.collector.prepare();
    for (let i = 0; i < rt.config.oncePolls; i++) {
      if (i > 0) await sleep(rt.config.onceIntervalMs, never);
      const result = await rt.collector.poll();
      samples.push(...result.samples);
      inference.push(...result.inference);
    }
  } finally {
    await rt.collector.close();
  }
  if (samples.length === 0) {
    rt.log.error('no GPU readings collected, nothing sent', { stats: rt.stats });
    // Still try to replay what earlier runs left behind.
    if (!rt.spool.isEmpty) await rt.outbox.drain({ ignoreBackoff: true });
    await rt.outbox.close();
    return EXIT.noData;
  }
  const rejectedBefore = rt.stats.batchesRejected;
  const delivered = await rt.outbox.submit(batchesFor(rt, samples, inference), { ignoreBackoff: true });
  await rt.outbox.close();
  rt.log.info('once: done', { delivered, spooledBatches: rt.spool.batchCount, stats: rt.stats, self: selfUsage(rt) });
  if (rt.stats.batchesRejected > rejectedBefore) return EXIT.rejected;
  return delivered ? EXIT.ok : EXIT.deliveryFailed;
}

async function runLoop(rt: Runtime): Promise<number> {
  const { config, log } = rt;
  const stop = new AbortController();
  let pendingSamples: GpuSample[] = [];
  let pendingInference: InferenceReading[] = [];

  const takePending = () => {
    const taken = { samples: pendingSamples, inference: pendingInference };
    pendingSamples = [];
    pendingInference = [];
    return taken;
  };

  const pollLoop = (async () => {
    try {
      await rt.collector.prepare();
    } catch (err) {
      log.error('GPU source preparation failed', errorFields(err));
    }
    while (!stop.signal.aborted) {
      const started = Date.now();
      try {
        const result = await rt.collector.poll(new Date(started));
        pendingSamples.push(...result.samples);
        pendingInference.push(...result.inference);
      } catch (err) {
        rt.stats.pollFailures += 1;
        log.error('poll failed', errorFields(err));
      }
      await sleep(Math.max(0, started + config.pollIntervalMs - Date.now()), stop.signal);
    }
  })();

  const flush = async () => {
    const { samples, inference } = takePending();
    const batches = batchesFor(rt, samples, inference);
    if (batches.length > 0) await rt.outbox.submit(batches);
    log.info('flush', {
      samples: samples.length,
      batches: batches.length,
      spooledBatches: rt.spool.batchCount,
      spooledBytes: rt.spool.byteCount,
      retryInMs: rt.outbox.retryInMs,
      stats: rt.stats,
      self: selfUsage(rt),
    });
  };
  let flushing: Promise<void> = Promise.resolve();
  const flushTimer = setInterval(() => {
    flushing = flushing.then(flush).catch((err) => log.error('flush failed', errorFields(err)));
  }, config.flushIntervalMs);

  const signalled = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // A second signal while flushing exits at once.
      const force = (again: NodeJS.Signals) => {
        log.warn('second signal, exiting without finishing the flush', { signal: again });
        process.exit(130);
      };
      process.once('SIGTERM', force);
      process.once('SIGINT', force);
      resolve(sig);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });

  log.info('shutting down: flushing', { signal: signalled });
  const deadline = setTimeout(() => {
    log.warn('shutdown deadline reached, spooling what is left', { shutdownTimeoutMs: config.shutdownTimeoutMs });
    rt.outbox.abortInFlight();
  }, config.shutdownTimeoutMs);
  clearInterval(flushTimer);
  stop.abort();
  await pollLoop;
  await rt.collector.close();
  await flushing;
  const { samples, inference } = takePending();
  const batches = batchesFor(rt, samples, inference);
  const delivered = await rt.outbox.submit(batches, { ignoreBackoff: true });
  clearTimeout(deadline);
  await rt.outbox.close();
  log.info('stopped', {
    delivered,
    finalSamples: samples.length,
    spooledBatches: rt.spool.batchCount,
    stats: rt.stats,
    self: selfUsage(rt),
  });
  return EXIT.ok;
}

export async function runAgent(config: AgentConfig, log: Logger, version: string): Promise<number> {
  log.info('starting', {
    version,
    node: process.version,
    url: config.url,
    source: config.source,
    gpm: config.gpm,
    dcgmUrl: config.dcgmUrl || undefined,
    inferenceUrls: config.inferenceUrls.length ? config.inferenceUrls : undefined,
    pollIntervalMs: config.pollIntervalMs,
    flushIntervalMs: config.flushIntervalMs,
    spoolDir: config.spoolDir,
    once: config.once,
  });
  const rt = await setUp(config, log, version);
  return config.once ? runOnce(rt) : runLoop(rt);
}
