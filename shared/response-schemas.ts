import { z } from 'zod';
import { collectorNames } from './domain/providers/collector-runs.js';
import { inferenceSummarySchema, utilizationMetricsSchema, workloadUtilizationSchema } from './domain/measurements/utilization.js';

/**
 * Schemas of what the HTTP API answers where no domain module defines the shape, and the pieces every route's
 * responses share (the error body). The route definitions (`shared/routes.ts`) name them; the OpenAPI document
 * shows them.
 */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('stable machine-readable code, e.g. validation_failed'),
      message: z.string().describe('what is wrong, naming the field'),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

const gpuUtilizationSchema = utilizationMetricsSchema.extend({ uuid: z.string(), index: z.number().int(), model: z.string() });
export const fleetUtilizationSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    step: z.string(),
    totals: utilizationMetricsSchema.extend({
      hosts: z.number().int(),
      gpus: z.number().int(),
      inference: inferenceSummarySchema.nullable(),
    }),
    hosts: z.array(
      z.object({
        hostId: z.string(),
        pool: z.string().nullable(),
        instanceId: z.string().nullable(),
        instanceType: z.string().nullable(),
        provider: z.string().nullable(),
        region: z.string().nullable(),
        gpus: z.array(gpuUtilizationSchema),
        totals: utilizationMetricsSchema,
        inference: inferenceSummarySchema.nullable(),
      }),
    ),
    series: z.array(utilizationMetricsSchema.extend({ start: z.string() })),
    workloads: z
      .array(workloadUtilizationSchema)
      .describe('workloads the samples named (Kubernetes pods, jobs), busiest first, at most 100'),
  })
  .meta({ id: 'FleetUtilization' });

const money = z.string().describe('exact decimal string');
const costAmounts = { currency: z.string(), billedCost: money, effectiveCost: money, listCost: money, records: z.number().int() };
export const costReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.string(),
    groups: z.array(z.object({ key: z.string().nullable(), ...costAmounts })),
    totals: z.array(z.object(costAmounts)),
  })
  .meta({ id: 'CostReport' });

const pricePointSchema = z
  .object({
    key: z.string(),
    provider: z.enum(['aws', 'azure', 'gcp']),
    region: z.string(),
    zone: z.string().nullable(),
    instanceType: z.string().nullable(),
    sku: z.string().nullable(),
    gpuModel: z.string(),
    gpuCount: z.number().int(),
    pricingCategory: z.enum(['on-demand', 'spot', 'reserved', 'capacity-block']),
    term: z.enum(['1yr', '3yr']).nullable(),
    variant: z.string().nullable(),
    pricePerHour: money,
    pricePerGpuHour: money,
    currency: z.string(),
    observedAt: z.string(),
    source: z.string(),
  })
  .meta({ id: 'GpuPricePoint' });
export const pricesSchema = z.object({
  view: z.enum(['latest', 'history']),
  table: z.array(
    z.object({
      gpuModel: z.string(),
      provider: z.string(),
      pricingCategory: z.string(),
      currency: z.string(),
      offers: z.number().int(),
      minPerGpuHour: money,
      medianPerGpuHour: money,
      maxPerGpuHour: money,
      cheapest: z.object({
        region: z.string(),
        zone: z.string().nullable(),
        instanceType: z.string().nullable(),
        sku: z.string().nullable(),
      }),
    }),
  ),
  points: z.array(pricePointSchema),
});
export const capacitySchema = z.object({
  observations: z.array(
    z.looseObject({
      key: z.string(),
      kind: z.enum(['capacity-reservation', 'spot-placement-score', 'gpu-quota']),
      provider: z.string(),
      region: z.string(),
      observedAt: z.string(),
    }),
  ),
});
export const collectorRunSchema = z
  .object({
    runId: z.string(),
    collector: z.enum(collectorNames),
    provider: z.enum(['aws', 'azure', 'gcp']),
    periodStart: z.string(),
    periodEnd: z.string(),
    status: z.enum(['ok', 'partial', 'failed', 'not-configured']),
    rows: z.number().int(),
    pages: z.number().int(),
    startedAt: z.string(),
    durationMs: z.number(),
    error: z.string().optional(),
    failures: z.array(z.string()).optional(),
    totals: z.array(z.object({ currency: z.string(), billedCost: money, effectiveCost: money })).optional(),
  })
  .meta({ id: 'CollectorRun' });

export const healthSchema = z.object({ status: z.enum(['ok', 'degraded']), store: z.enum(['ok', 'unreachable']), time: z.string() });

/** A JSON response of one schema. */
export const jsonResponse = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

/** The errors every validated or authenticated route may answer. */
export const errorResponses = {
  '400': jsonResponse(errorSchema, 'the request is malformed; the message names the field'),
  '401': jsonResponse(errorSchema, 'missing, unknown or revoked bearer token'),
  '403': jsonResponse(errorSchema, 'the token lacks the scope'),
};
