import { badRequest, conflict, payloadTooLarge } from '../../errors.js';
import { SAMPLE_MAX_AGE_MS, SAMPLE_MAX_AHEAD_MS, sampleTimes, type IngestResult, type MeasurementBatch } from './measurement-batch.js';
import { foldBatch, type HostMinute } from './rollup.js';

export interface BatchRecord {
  fingerprint: string;
  accepted: number;
  rejectedFields: number;
  createdAt: string;
}

export type MinuteWrite = 'applied' | 'already-applied';

/** What ingest needs from storage. */
export interface MeasurementStore {
  getBatch(hostId: string, batchId: string): Promise<BatchRecord | null>;
  /** Apply each rollup at most once for this batch id, even across retries of a half-applied batch. */
  applyMinutes(batchId: string, rollups: HostMinute[]): Promise<MinuteWrite[]>;
  putBatch(hostId: string, batchId: string, record: BatchRecord): Promise<void>;
}

export function checkSampleWindow(times: Float64Array, now: number): void {
  const oldest = now - SAMPLE_MAX_AGE_MS;
  const newest = now + SAMPLE_MAX_AHEAD_MS;
  times.forEach((t, i) => {
    if (Number.isNaN(t)) throw badRequest(`samples[${i}].time: not a valid time`, { path: `samples[${i}].time` });
    if (t < oldest)
      throw badRequest(`samples[${i}].time: older than 7 days (${new Date(t).toISOString()})`, { path: `samples[${i}].time` });
    if (t > newest)
      throw badRequest(`samples[${i}].time: more than 5 minutes in the future (${new Date(t).toISOString()})`, {
        path: `samples[${i}].time`,
      });
  });
}

/** Checked before schema validation so that an oversized batch is not validated sample by sample. */
export function checkBatchSize(body: unknown, maxSamples: number): void {
  const samples = typeof body === 'object' && body !== null ? (body as { samples?: unknown }).samples : undefined;
  if (Array.isArray(samples) && samples.length > maxSamples) {
    throw payloadTooLarge(`samples: ${samples.length} samples in one batch; at most ${maxSamples} are accepted`);
  }
}

/**
 * Ingest one validated batch. A replayed batchId answers duplicate and writes nothing; a batch that failed
 * halfway is completed by its retry without counting the applied minutes twice.
 */
export async function ingestMeasurements(store: MeasurementStore, batch: MeasurementBatch, now: number): Promise<IngestResult> {
  const times = sampleTimes(batch);
  checkSampleWindow(times, now);
  const folded = foldBatch(batch, times);
  const previous = await store.getBatch(batch.host.hostId, batch.batchId);
  if (previous) {
    if (previous.fingerprint !== folded.fingerprint) {
      throw conflict(`batchId: ${batch.batchId} was already used for a batch with different content`, { batchId: batch.batchId });
    }
    return { batchId: batch.batchId, accepted: previous.accepted, duplicate: true, rejectedFields: previous.rejectedFields };
  }
  await store.applyMinutes(batch.batchId, folded.minutes);
  await store.putBatch(batch.host.hostId, batch.batchId, {
    fingerprint: folded.fingerprint,
    accepted: folded.accepted,
    rejectedFields: folded.rejectedFields,
    createdAt: new Date(now).toISOString(),
  });
  return { batchId: batch.batchId, accepted: folded.accepted, duplicate: false, rejectedFields: folded.rejectedFields };
}
