import { DCGM_FIELD_NAME } from './dcgm.js';
import { measurementBatchSchema, type MeasurementBatch } from './measurement-batch.js';
import { parseWith } from '../../errors.js';
import { CONTROL_CHARACTERS, MAX_EPOCH, WORKLOAD_LIMITS } from './workload.js';

/**
 * The ingest hot path checks a batch by hand in one pass and hands it on as it is; zod still decides
 * everything the fast path does not accept (and words every error). The fast path is deliberately
 * stricter than the schema (no unknown keys, no labels or inference readings, one time format), so what
 * it accepts zod accepts unchanged; a test proves that on thousands of altered batches.
 */
const BATCH_ID = /^[A-Za-z0-9._:@-]+$/;
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;
const PROVIDERS = new Set(['aws', 'azure', 'gcp', 'onprem', 'other']);
const HOST_KEYS = new Set(['hostId', 'instanceId', 'instanceType', 'provider', 'region', 'pool']);
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Field names already checked: an agent sends the same dozen names in every sample. */
const knownFieldNames = new Set<string>();

function validFieldName(name: string): boolean {
  if (knownFieldNames.has(name)) return true;
  if (!DCGM_FIELD_NAME.test(name)) return false;
  if (knownFieldNames.size < 4096) knownFieldNames.add(name);
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown, max: number): value is string => typeof value === 'string' && value.length >= 1 && value.length <= max;

function validTime(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 8.64e15;
  if (typeof value !== 'string') return false;
  const m = ISO_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS[month - 1]! + (leap ? 1 : 0)) return false;
  return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
}

function validHost(host: unknown): boolean {
  if (!isObject(host)) return false;
  for (const key in host) if (!HOST_KEYS.has(key)) return false;
  if (!text(host.hostId, 128) || !IDENTIFIER.test(host.hostId)) return false;
  if (host.instanceId !== undefined && !text(host.instanceId, 512)) return false;
  if (host.instanceType !== undefined && !text(host.instanceType, 128)) return false;
  if (host.provider !== undefined && !PROVIDERS.has(host.provider as string)) return false;
  if (host.region !== undefined && !text(host.region, 64)) return false;
  if (host.pool !== undefined && (!text(host.pool, 128) || !IDENTIFIER.test(host.pool))) return false;
  return true;
}

function validWorkload(workload: unknown): boolean {
  if (!isObject(workload)) return false;
  for (const key in workload) {
    const value = workload[key];
    if (key === 'epoch') {
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_EPOCH) return false;
      continue;
    }
    if (!Object.hasOwn(WORKLOAD_LIMITS, key)) return false;
    const max = WORKLOAD_LIMITS[key as keyof typeof WORKLOAD_LIMITS];
    if (value === undefined) continue;
    if (!text(value, max) || CONTROL_CHARACTERS.test(value)) return false;
  }
  return true;
}

function validSample(sample: unknown): boolean {
  if (!isObject(sample)) return false;
  let keys = 0;
  for (const key in sample) {
    if (key === 'workload') {
      if (sample.workload !== undefined && !validWorkload(sample.workload)) return false;
      continue;
    }
    if (key !== 'time' && key !== 'gpu' && key !== 'fields') return false;
    keys++;
  }
  if (keys !== 3 || !validTime(sample.time)) return false;
  const gpu = sample.gpu;
  if (!isObject(gpu)) return false;
  let gpuKeys = 0;
  for (const key in gpu) {
    if (key !== 'index' && key !== 'uuid' && key !== 'model') return false;
    gpuKeys++;
  }
  if (gpuKeys !== 3 || !Number.isInteger(gpu.index) || (gpu.index as number) < 0 || (gpu.index as number) > 4095) return false;
  if (!text(gpu.uuid, 128) || !text(gpu.model, 128)) return false;
  const fields = sample.fields;
  if (!isObject(fields)) return false;
  let count = 0;
  for (const name of Object.keys(fields)) {
    if (++count > 128 || !validFieldName(name)) return false;
    const value = fields[name];
    if (value !== null && typeof value !== 'number') return false;
  }
  return true;
}

/** True only for a batch the schema accepts unchanged. */
export function isPlainMeasurementBatch(body: unknown): body is MeasurementBatch {
  if (!isObject(body)) return false;
  for (const key in body) if (key !== 'batchId' && key !== 'host' && key !== 'samples') return false;
  if (!text(body.batchId, 128) || !BATCH_ID.test(body.batchId)) return false;
  if (!validHost(body.host)) return false;
  const samples = body.samples;
  if (!Array.isArray(samples) || samples.length === 0) return false;
  for (const sample of samples) if (!validSample(sample)) return false;
  return true;
}

/** The validated batch: the fast path when it accepts, zod otherwise (a 400 that names the field). */
export function parseMeasurementBatch(body: unknown): MeasurementBatch {
  return isPlainMeasurementBatch(body) ? body : parseWith(measurementBatchSchema, body);
}
