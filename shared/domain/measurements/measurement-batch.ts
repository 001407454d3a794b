import { z } from 'zod';
import { DCGM_FIELD_NAME } from './dcgm.js';
import { workloadSchema } from './workload.js';

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

/**
 * DCGM field name -> reading. Checked by one hand-written pass inside zod instead of `z.record`, which
 * costs six times as much on a 5,760-field batch; the OpenAPI shape is stated alongside.
 */
const MAX_FIELDS_PER_SAMPLE = 128;
export const fieldsSchema = z
  .custom<Record<string, number | null>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    message: 'must be an object of DCGM field name to number',
  })
  .superRefine((fields, ctx) => {
    let count = 0;
    for (const name of Object.keys(fields)) {
      if (++count > MAX_FIELDS_PER_SAMPLE) {
        ctx.addIssue({ code: 'custom', message: `at most ${MAX_FIELDS_PER_SAMPLE} fields per sample`, path: [] });
        return;
      }
      if (!DCGM_FIELD_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', message: 'field names must be DCGM field names such as DCGM_FI_PROF_SM_ACTIVE', path: [name] });
      }
      const value = fields[name];
      if (value !== null && typeof value !== 'number') {
        ctx.addIssue({
          code: 'custom',
          message: `expected a number or null, got ${Array.isArray(value) ? 'array' : typeof value}`,
          path: [name],
        });
      }
    }
  })
  .meta({
    override: {
      type: 'object',
      propertyNames: { pattern: DCGM_FIELD_NAME.source },
      additionalProperties: { type: ['number', 'null'] },
      maxProperties: MAX_FIELDS_PER_SAMPLE,
      description: 'DCGM field name to reading; null, non-finite, DCGM blank and out-of-range readings are dropped and counted',
    },
  });

export const sampleSchema = z.object({
  time: sampleTimeSchema,
  gpu: gpuSchema,
  fields: fieldsSchema,
  workload: workloadSchema.optional(),
});

/** Cumulative counters an agent scraped from an inference server (vLLM), for tokens served per GPU-hour. */
export const inferenceReadingSchema = z.object({
  time: sampleTimeSchema,
  server: z.string().min(1).max(512),
  model: z.string().min(1).max(256),
  promptTokensTotal: z.number().nonnegative().optional(),
  generationTokensTotal: z.number().nonnegative().optional(),
  requestsRunning: z.number().nonnegative().optional(),
  latencyCount: z.number().nonnegative().optional().describe('requests finished since the server started (histogram count)'),
  latencySumSeconds: z.number().nonnegative().optional(),
});
export type InferenceReading = z.infer<typeof inferenceReadingSchema>;

export const measurementBatchSchema = z.object({
  batchId: z
    .string()
    .min(1, 'batchId must not be empty')
    .max(128)
    .regex(/^[A-Za-z0-9._:@-]+$/, 'batchId may hold letters, digits and . _ : @ - only'),
  host: hostSchema,
  samples: z.array(sampleSchema).min(1, 'a batch needs at least one sample'),
  inference: z.array(inferenceReadingSchema).max(10_000).optional(),
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

/** Each sample's time in epoch milliseconds, parsed once for the window check and the fold. */
export function sampleTimes(batch: MeasurementBatch): Float64Array {
  const times = new Float64Array(batch.samples.length);
  for (let i = 0; i < times.length; i++) times[i] = sampleTimeMs(batch.samples[i]!.time);
  return times;
}
