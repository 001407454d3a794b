import { z } from 'zod';
import { DCGM_FIELD_NAME } from './dcgm.js';

/** Wire schema of `POST /v1/measurements`. The OpenAPI document is generated from these. */
const identifier = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(128, `${what} must be at most 128 characters`)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/, `${what} may hold letters, digits and . _ : @ / - only`);

export const providerSchema = z.enum(['aws', 'azure', 'gcp', 'onprem', 'other']);

export const hostSchema = z.object({
  hostId: identifier('hostId'),
  instanceId: z.string().min(1).max(512).optional(),
  instanceType: z.string().min(1).max(128).optional(),
  provider: providerSchema.optional(),
  region: z.string().min(1).max(64).optional(),
  pool: identifier('pool').optional(),
  labels: z
    .record(z.string().min(1).max(64), z.string().max(256))
    .refine((labels) => Object.keys(labels).length <= 32, 'at most 32 labels')
    .optional(),
});

/** ISO-8601 with a zone, or epoch milliseconds. */
export const sampleTimeSchema = z.union([
  z.iso.datetime({ offset: true, message: 'must be an ISO-8601 time with a zone, or epoch milliseconds' }),
  z.number().int('epoch milliseconds must be an integer').min(0).max(8.64e15),
]);

export const gpuSchema = z.object({
  index: z.number().int().min(0).max(4095),
  uuid: z.string().min(1).max(128),
  model: z.string().min(1).max(128),
});

export const fieldsSchema = z
  .record(z.string().regex(DCGM_FIELD_NAME, 'field names must be DCGM field names such as DCGM_FI_PROF_SM_ACTIVE'), z.number().nullable())
  .refine((fields) => Object.keys(fields).length <= 128, 'at most 128 fields per sample');

export const sampleSchema = z.object({
  time: sampleTimeSchema,
  gpu: gpuSchema,
  fields: fieldsSchema,
});

export const measurementBatchSchema = z.object({
  batchId: z
    .string()
    .min(1, 'batchId must not be empty')
    .max(128)
    .regex(/^[A-Za-z0-9._:@-]+$/, 'batchId may hold letters, digits and . _ : @ - only'),
  host: hostSchema,
  samples: z.array(sampleSchema).min(1, 'a batch needs at least one sample'),
});

export type MeasurementBatch = z.infer<typeof measurementBatchSchema>;
export type HostDescription = z.infer<typeof hostSchema>;
export type MeasurementSample = z.infer<typeof sampleSchema>;

export const ingestResultSchema = z.object({
  batchId: z.string(),
  accepted: z.number().int().describe('samples stored (or already stored, when duplicate)'),
  duplicate: z.boolean(),
  rejectedFields: z.number().int().describe('field readings dropped: not finite, DCGM blank, or out of range'),
});
export type IngestResult = z.infer<typeof ingestResultSchema>;

export const SAMPLE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
export const SAMPLE_MAX_AHEAD_MS = 5 * 60 * 1000;

export function sampleTimeMs(time: string | number): number {
  return typeof time === 'number' ? time : Date.parse(time);
}
