/**
 * Turns collected samples into wire batches within the server's limits (samples per batch, compressed bytes per batch),
 * each with a batchId that stays the same across retries and replays.
 */
import { gzipSync } from 'node:zlib';
import type { GpuSample, HostDescription, InferenceReading, MeasurementBatch } from './wire.js';

export interface EncodedBatch {
  batchId: string;
  /** gzip-compressed JSON body, exactly what is POSTed (and spooled, and replayed). */
  body: Buffer;
  samples: number;
  firstSampleMs: number;
  /** Sequence number inside the batchId; also the batch's place in the spool. */
  seq: number;
}

export interface BatchLimits {
  maxSamples: number;
  maxCompressedBytes: number;
}

/** batchIds may hold letters, digits and . _ : @ - only, at most 128 characters. */
export function batchIdFor(hostId: string, firstSampleMs: number, seq: number): string {
  const suffix = `-${firstSampleMs}-${seq}`;
  const host = hostId.replace(/[^A-Za-z0-9._:@-]/g, '-').slice(0, 128 - suffix.length);
  return `${host}${suffix}`;
}

export function encodeBatch(batch: MeasurementBatch): Buffer {
  return gzipSync(JSON.stringify(batch));
}

/**
 * Split samples (in collection order) into encoded batches. `nextSeq` hands out the sequence numbers that make
 * batchIds unique even for parts that start at the same millisecond. Inference readings ride on the first part.
 * Returns no batch when there are no samples (the server requires at least one).
 */
export function buildBatches(
  host: HostDescription,
  samples: readonly GpuSample[],
  inference: readonly InferenceReading[],
  limits: BatchLimits,
  nextSeq: () => number,
): EncodedBatch[] {
  const out: EncodedBatch[] = [];
  let inferenceLeft = inference.length > 0 ? [...inference] : undefined;
  const emit = (part: readonly GpuSample[]) => {
    const firstSampleMs = Date.parse(part[0]!.time);
    const seq = nextSeq();
    const batchId = batchIdFor(host.hostId, firstSampleMs, seq);
    const batch: MeasurementBatch = { batchId, host, samples: part as GpuSample[] };
    if (inferenceLeft) batch.inference = inferenceLeft;
    const body = encodeBatch(batch);
    if (body.length > limits.maxCompressedBytes && (part.length > 1 || inferenceLeft)) return false;
    inferenceLeft = undefined;
    out.push({ batchId, body, samples: part.length, firstSampleMs, seq });
    return true;
  };
  const place = (part: readonly GpuSample[]) => {
    if (emit(part)) return;
    if (part.length === 1) {
      // A single sample with the inference readings is too big: send the readings' share separately is not possible
      // (a batch needs a sample), so drop the readings rather than the sample.
      inferenceLeft = undefined;
      emit(part);
      return;
    }
    const half = Math.ceil(part.length / 2);
    place(part.slice(0, half));
    place(part.slice(half));
  };
  for (let i = 0; i < samples.length; i += limits.maxSamples) {
    place(samples.slice(i, i + limits.maxSamples));
  }
  return out;
}
