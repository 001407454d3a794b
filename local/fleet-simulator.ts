import { gzipSync } from 'node:zlib';
import type { MeasurementBatch } from '../shared/domain/measurements/measurement-batch.js';
import type { Workload } from '../shared/domain/measurements/workload.js';
import { seededRandom } from '../shared/seeded-random.js';
import { defaultAwsInstances } from './providers/simulation.js';

/**
 * A simulated GPU fleet that posts measurements through the real HTTP endpoint, as agents would.
 * Deterministic for a seed: the same host, minute and GPU always read the same values.
 */
export interface FleetOptions {
  hosts: number;
  gpusPerHost: number;
  /** Seconds between samples of one GPU. */
  sampleIntervalSec: number;
  seed: number;
}

export const defaultFleet: FleetOptions = { hosts: 2, gpusPerHost: 8, sampleIntervalSec: 10, seed: 7 };

export interface SimulatedHost {
  hostId: string;
  instanceId: string;
  instanceType: string;
  pool: string;
  region: string;
  /** Typical SM active of each GPU; one GPU of a training host is a slow outlier. */
  gpuLoad: number[];
  /** The Kubernetes pod (and job) on each GPU; an inference host's last two GPUs hold a notebook that does nothing. */
  workloads: Workload[];
  /** GPUs held idle: SM active near 0 with their memory in use. */
  idleHeld: boolean[];
}

/** A value in [0, 1) fixed by its inputs. */
function noise(...parts: number[]): number {
  let h = 2166136261;
  for (const p of parts) h = Math.imul(h ^ (p | 0), 16777619) ^ Math.imul((p / 4294967296) | 0, 2246822519);
  return seededRandom(h)();
}

const billedP5Instances = defaultAwsInstances.filter((i) => i.instanceType === 'p5.48xlarge');

export function simulatedHosts(options: FleetOptions): SimulatedHost[] {
  const random = seededRandom(options.seed);
  return Array.from({ length: options.hosts }, (_, h) => {
    const training = h % 2 === 0;
    // The first hosts are the simulated organization's p5.48xlarge instances, so their measurements join
    // the AWS costs the local provider server bills for them (ResourceId = instance id).
    const generated = `i-0${Array.from({ length: 16 }, () => Math.floor(random() * 16).toString(16)).join('')}`;
    const instanceId = billedP5Instances[h]?.instanceId ?? generated;
    const idleHeld = Array.from(
      { length: options.gpusPerHost },
      (_, g) => !training && options.gpusPerHost >= 4 && g >= options.gpusPerHost - 2,
    );
    const workloads = idleHeld.map((held): Workload =>
      training
        ? { namespace: 'training', pod: `llama-70b-ft-${h}`, container: 'trainer', job: `ft-llama-70b-${String(h + 1).padStart(3, '0')}` }
        : held
          ? { namespace: 'research', pod: `notebook-${h}`, container: 'jupyter' }
          : { namespace: 'inference', pod: `vllm-llama-70b-${h}`, container: 'vllm' },
    );
    return {
      workloads,
      idleHeld,
      hostId: `gpu-${training ? 'train' : 'infer'}-${String(h + 1).padStart(2, '0')}`,
      instanceId,
      instanceType: 'p5.48xlarge',
      pool: training ? 'training' : 'inference',
      region: 'us-east-1',
      gpuLoad: Array.from({ length: options.gpusPerHost }, (_, g) => {
        if (idleHeld[g]) return 0.002;
        const base = training ? 0.72 + random() * 0.1 : 0.3 + random() * 0.15;
        return training && g === options.gpusPerHost - 1 ? base * 0.55 : base;
      }),
    };
  });
}

/** Samples of one host for [fromMs, toMs), aligned to the sample interval. */
export function hostBatch(host: SimulatedHost, hostIndex: number, fromMs: number, toMs: number, options: FleetOptions): MeasurementBatch {
  const step = options.sampleIntervalSec * 1000;
  const samples: MeasurementBatch['samples'] = [];
  const first = Math.ceil(fromMs / step) * step;
  for (let t = first; t < toMs; t += step) {
    const daily = dailyFactor(host.pool, new Date(t).getUTCHours());
    host.gpuLoad.forEach((load, g) => {
      const jitter = noise(options.seed, hostIndex, g, t / step) - 0.5;
      const held = host.idleHeld[g] === true;
      const sm = held ? round(0.002 + jitter * 0.002, 4) : clamp(load * daily + jitter * 0.1, 0, 1);
      const workload = host.workloads[g];
      // A training job reports an epoch every two hours since midnight UTC.
      const epoch = workload?.job ? Math.floor((t % 86_400_000) / 7_200_000) : undefined;
      const power = 90 + sm * 560 + jitter * 20;
      const energyMJ = energySinceMidnightMJ(load, host.pool, t);
      samples.push({
        time: new Date(t).toISOString(),
        gpu: { index: g, uuid: `GPU-${host.instanceId.slice(2, 10)}-${String(g).padStart(4, '0')}-sim`, model: 'NVIDIA H100 80GB HBM3' },
        fields: {
          DCGM_FI_DEV_GPU_UTIL: Math.round(clamp(sm * 100 + 25, 0, 100)),
          DCGM_FI_PROF_SM_ACTIVE: round(sm, 4),
          DCGM_FI_PROF_GR_ENGINE_ACTIVE: round(clamp(sm + 0.05, 0, 1), 4),
          DCGM_FI_PROF_SM_OCCUPANCY: round(sm * 0.6, 4),
          DCGM_FI_PROF_PIPE_TENSOR_ACTIVE: round(sm * 0.45, 4),
          DCGM_FI_PROF_DRAM_ACTIVE: round(sm * 0.5, 4),
          DCGM_FI_DEV_FB_USED: held ? 30_000 : Math.round(20_000 + sm * 55_000),
          DCGM_FI_DEV_FB_FREE: held ? 81_559 - 30_000 : Math.round(81_559 - 20_000 - sm * 55_000),
          DCGM_FI_DEV_POWER_USAGE: round(power, 2),
          DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: energyMJ,
          DCGM_FI_DEV_GPU_TEMP: Math.round(35 + sm * 40),
          DCGM_FI_DEV_SM_CLOCK: Math.round(1755 + sm * 225),
        },
        ...(workload ? { workload: epoch === undefined ? workload : { ...workload, epoch } } : {}),
      });
    });
  }
  return {
    batchId: `sim-${host.hostId}-${fromMs}-${toMs}`,
    host: {
      hostId: host.hostId,
      instanceId: host.instanceId,
      instanceType: host.instanceType,
      provider: 'aws',
      region: host.region,
      pool: host.pool,
    },
    samples,
  };
}

function dailyFactor(pool: string, hour: number): number {
  return pool === 'inference' ? 0.75 + 0.25 * Math.sin(((hour - 8) / 24) * 2 * Math.PI) : 1;
}

/**
 * The energy counter integrates the GPU's mean power. It restarts at UTC midnight, as a counter does when
 * the driver reloads, so consumers meet a reset every day.
 */
function energySinceMidnightMJ(load: number, pool: string, t: number): number {
  const midnight = Math.floor(t / 86_400_000) * 86_400_000;
  let joules = 0;
  for (let hourStart = midnight; hourStart < t; hourStart += 3_600_000) {
    const seconds = (Math.min(t, hourStart + 3_600_000) - hourStart) / 1000;
    joules += seconds * (90 + load * dailyFactor(pool, new Date(hourStart).getUTCHours()) * 560);
  }
  return Math.floor(joules * 1000);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export async function postBatch(url: string, token: string, batch: MeasurementBatch): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/v1/measurements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync(JSON.stringify(batch)),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * Post every host's samples for [fromMs, toMs) in whole-minute batches. Batch ids follow from the minute,
 * so posting a minute again (a restart, an overlap) is a replay the ingest answers as duplicate.
 */
export async function postFleetRange(
  url: string,
  token: string,
  fromMs: number,
  toMs: number,
  options: FleetOptions = defaultFleet,
): Promise<number> {
  const hosts = simulatedHosts(options);
  let samples = 0;
  const first = Math.floor(fromMs / 60_000) * 60_000;
  for (let start = first; start + 60_000 <= toMs; start += 60_000) {
    const end = start + 60_000;
    const results = await Promise.all(hosts.map((host, i) => postBatch(url, token, hostBatch(host, i, start, end, options))));
    for (const r of results) {
      if (r.status !== 202) throw new Error(`simulated fleet: ingest answered ${r.status}: ${JSON.stringify(r.body)}`);
      samples += (r.body as { accepted: number }).accepted;
    }
  }
  return samples;
}
