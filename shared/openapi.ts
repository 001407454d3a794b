import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { anomalyFeedbackInputSchema, anomalyFeedbackResultSchema, anomalyIdSchema, anomalyListSchema, anomalyQuerySchema } from './domain/anomalies/anomaly-query.js';
import { budgetStatusViewSchema } from '../events/analysis.js';
import { budgetInputSchema, budgetPathSchema, budgetViewSchema } from './domain/budgets/budgets.js';
import { capacityQuerySchema, collectorRunsQuerySchema } from './domain/providers/collector-query.js';
import { collectorNames } from './domain/providers/collector-runs.js';
import { costExportQuerySchema, costQuerySchema } from './domain/costs/cost-query.js';
import {
  executionBudgetInputSchema,
  executionBudgetListQuerySchema,
  executionBudgetPathSchema,
  executionBudgetStatusQuerySchema,
  executionBudgetStatusViewSchema,
  executionBudgetViewSchema,
  reserveRequestSchema,
  reserveResultSchema,
  settleRequestSchema,
  settleResultSchema,
} from './domain/budgets/execution-budgets.js';
import { analysisRunSchema, analysisRunsQuerySchema, unitEconomicsExportQuerySchema, unitEconomicsQuerySchema, unitEconomicsReportSchema } from './domain/economics/economics-query.js';
import { fleetUtilizationQuerySchema } from './domain/measurements/fleet-query.js';
import { priceQuerySchema } from './domain/market/price-query.js';
import { signalListSchema, signalQuerySchema } from './domain/signals/signal-query.js';
import { ingestResultSchema, measurementBatchSchema } from './domain/measurements/measurement-batch.js';
import { inferenceSummarySchema, utilizationMetricsSchema, workloadUtilizationSchema } from './domain/measurements/utilization.js';
import { usageBatchSchema, usageIngestResultSchema } from './domain/usage/usage-events.js';
import { otlpExportResponseSchema, otlpTracesSchema } from './domain/usage/usage-otlp.js';
import { modelNameSchema, modelPriceInputSchema, modelPriceListSchema, modelPriceViewSchema } from './domain/usage/usage-pricing.js';
import { usageQuerySchema, usageReportSchema } from './domain/usage/usage-query.js';
import { httpRoutes, routeKey, type HttpRoute } from './routes.js';

/** OpenAPI 3.1, generated from the same zod schemas that validate requests. */
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
const fleetUtilizationSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    step: z.string(),
    totals: utilizationMetricsSchema.extend({ hosts: z.number().int(), gpus: z.number().int(), inference: inferenceSummarySchema.nullable() }),
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
    workloads: z.array(workloadUtilizationSchema).describe('workloads the samples named (Kubernetes pods, jobs), busiest first, at most 100'),
  })
  .meta({ id: 'FleetUtilization' });

const money = z.string().describe('exact decimal string');
const costAmounts = { currency: z.string(), billedCost: money, effectiveCost: money, listCost: money, records: z.number().int() };
const costReportSchema = z
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
const pricesSchema = z.object({
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
      cheapest: z.object({ region: z.string(), zone: z.string().nullable(), instanceType: z.string().nullable(), sku: z.string().nullable() }),
    }),
  ),
  points: z.array(pricePointSchema),
});
const capacitySchema = z.object({
  observations: z.array(
    z.looseObject({ key: z.string(), kind: z.enum(['capacity-reservation', 'spot-placement-score', 'gpu-quota']), provider: z.string(), region: z.string(), observedAt: z.string() }),
  ),
});
const collectorRunSchema = z
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

const healthSchema = z.object({ status: z.enum(['ok', 'degraded']), store: z.enum(['ok', 'unreachable']), time: z.string() });

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const errors = {
  '400': json(errorSchema, 'the request is malformed; the message names the field'),
  '401': json(errorSchema, 'missing, unknown or revoked bearer token'),
  '403': json(errorSchema, 'the token lacks the scope'),
};

/** Request and response schemas per route key. Every route in the route table has an entry. */
export const operations: Record<string, Omit<ZodOpenApiOperationObject, 'summary'>> = {
  'GET /v1/health': { responses: { '200': json(healthSchema, 'alive') } },
  'GET /v1/openapi.json': { responses: { '200': { description: 'this document' } } },
  'POST /v1/measurements': {
    requestBody: { content: { 'application/json': { schema: measurementBatchSchema.meta({ id: 'MeasurementBatch' }) } } },
    responses: {
      '202': json(ingestResultSchema.meta({ id: 'IngestResult' }), 'accepted (or a replay of a batch already accepted)'),
      ...errors,
      '409': json(errorSchema, 'the batchId was used before for different content'),
      '413': json(errorSchema, 'over 10,000 samples or 1 MiB compressed'),
      '415': json(errorSchema, 'not JSON, or an encoding other than gzip'),
    },
  },
  'GET /v1/fleet/utilization': {
    requestParams: { query: fleetUtilizationQuerySchema },
    responses: { '200': json(fleetUtilizationSchema, 'utilization per host, GPU and in total'), ...errors },
  },
  'GET /v1/costs': {
    requestParams: { query: costQuerySchema },
    responses: { '200': json(costReportSchema, 'exact sums of BilledCost, EffectiveCost and ListCost per group and currency'), ...errors },
  },
  'GET /v1/costs/export': {
    requestParams: { query: costExportQuerySchema },
    responses: { '200': { description: 'FOCUS columns, one record a row', content: { 'text/csv': { schema: z.string() } } }, ...errors },
  },
  'GET /v1/prices': {
    requestParams: { query: priceQuerySchema },
    responses: { '200': json(pricesSchema, 'price points and a model x provider x category table per GPU-hour'), ...errors },
  },
  'GET /v1/capacity': {
    requestParams: { query: capacityQuerySchema },
    responses: { '200': json(capacitySchema, 'the newest observation of each reservation, placement score and quota'), ...errors },
  },
  'GET /v1/unit-economics/export': {
    requestParams: { query: unitEconomicsExportQuerySchema },
    responses: { '200': { description: 'unit-economics rows, one a line, the columns of UnitEconomicsRow', content: { 'text/csv': { schema: z.string() } } }, ...errors },
  },
  'GET /v1/unit-economics': {
    requestParams: { query: unitEconomicsQuerySchema },
    responses: { '200': json(unitEconomicsReportSchema, 'rows of the days [from, to) (default: the last 7 days and today), oldest first'), ...errors },
  },
  'GET /v1/analysis-runs': {
    requestParams: { query: analysisRunsQuerySchema },
    responses: { '200': json(z.object({ runs: z.array(analysisRunSchema) }), 'newest first'), ...errors },
  },
  'GET /v1/collector-runs': {
    requestParams: { query: collectorRunsQuerySchema },
    responses: { '200': json(z.object({ runs: z.array(collectorRunSchema) }), 'newest first'), ...errors },
  },
  'GET /v1/anomalies': {
    requestParams: { query: anomalyQuerySchema },
    responses: { '200': json(anomalyListSchema, 'anomalies of the days [from, to), newest day first, largest dollar delta first, with root cause and feedback'), ...errors },
  },
  'POST /v1/anomalies/{id}/feedback': {
    requestParams: { path: z.object({ id: anomalyIdSchema.describe('the anomalyId') }) },
    requestBody: { content: { 'application/json': { schema: anomalyFeedbackInputSchema } } },
    responses: {
      '200': json(anomalyFeedbackResultSchema, 'recorded; expected: not alerted again and kept in later baselines; unexpected: kept flagged and out of them'),
      ...errors,
      '404': json(errorSchema, 'no such anomaly'),
    },
  },
  'POST /v1/usage': {
    requestBody: { content: { 'application/json': { schema: usageBatchSchema } } },
    responses: {
      '202': json(usageIngestResultSchema, 'counted; events whose ledger.request.id was already counted are duplicates'),
      ...errors,
      '413': json(errorSchema, 'over 5,000 events or 1 MiB compressed'),
      '415': json(errorSchema, 'not JSON, or an encoding other than gzip'),
    },
  },
  'POST /v1/otlp/v1/traces': {
    requestBody: { content: { 'application/json': { schema: otlpTracesSchema } } },
    responses: {
      '200': json(otlpExportResponseSchema, 'taken; partialSuccess names the rejected spans. Header x-ledger-usage carries the ledger counts'),
      ...errors,
      '413': json(errorSchema, 'over 5,000 spans or 1 MiB compressed'),
      '415': json(errorSchema, 'OTLP protobuf or an encoding other than gzip: send OTLP/HTTP JSON (Content-Type: application/json)'),
    },
  },
  'GET /v1/usage': {
    requestParams: { query: usageQuerySchema },
    responses: { '200': json(usageReportSchema, 'usage, cost and latency per group and in total'), ...errors },
  },
  'GET /v1/model-prices': {
    responses: { '200': json(modelPriceListSchema, 'stored prices over the illustrative defaults'), ...errors },
  },
  'PUT /v1/model-prices/{model}': {
    requestParams: { path: z.object({ model: modelNameSchema.describe('model name as the provider reports it; percent-encode a slash') }) },
    requestBody: { content: { 'application/json': { schema: modelPriceInputSchema.meta({ id: 'ModelPriceInput' }) } } },
    responses: { '200': json(modelPriceViewSchema, 'the stored price; it applies to usage ingested from now on'), ...errors },
  },
  'POST /v1/budgets': {
    requestBody: { content: { 'application/json': { schema: budgetInputSchema } } },
    responses: { '201': json(budgetViewSchema, 'the stored budget, with its id'), ...errors },
  },
  'GET /v1/budgets': {
    responses: { '200': json(z.object({ budgets: z.array(budgetViewSchema) }), 'every budget, by name'), ...errors },
  },
  'GET /v1/budgets/{id}': {
    requestParams: { path: budgetPathSchema },
    responses: { '200': json(budgetViewSchema, 'the budget'), ...errors, '404': json(errorSchema, 'no budget with this id') },
  },
  'PUT /v1/budgets/{id}': {
    requestParams: { path: budgetPathSchema },
    requestBody: { content: { 'application/json': { schema: budgetInputSchema } } },
    responses: { '200': json(budgetViewSchema, 'the budget as replaced; breaches already raised in the period are not raised again'), ...errors, '404': json(errorSchema, 'no budget with this id') },
  },
  'DELETE /v1/budgets/{id}': {
    requestParams: { path: budgetPathSchema },
    responses: { '204': { description: 'deleted' }, ...errors, '404': json(errorSchema, 'no budget with this id') },
  },
  'GET /v1/budgets/{id}/status': {
    requestParams: { path: budgetPathSchema },
    responses: {
      '200': json(budgetStatusViewSchema, 'the current period (days, periodEnd exclusive): actual spend so far, forecast to the period end, percents of the amount and thresholds crossed'),
      ...errors,
      '404': json(errorSchema, 'no budget with this id'),
    },
  },
  'POST /v1/execution-budgets': {
    requestBody: { content: { 'application/json': { schema: executionBudgetInputSchema } } },
    responses: { '201': json(executionBudgetViewSchema, 'created; the id is what reserve and settle name'), ...errors },
  },
  'GET /v1/execution-budgets': {
    requestParams: { query: executionBudgetListQuerySchema },
    responses: { '200': json(z.object({ budgets: z.array(executionBudgetViewSchema) }), 'oldest first; workflow and agent keep those that apply to them'), ...errors },
  },
  'GET /v1/execution-budgets/{id}': {
    requestParams: { path: executionBudgetPathSchema, query: executionBudgetStatusQuerySchema },
    responses: {
      '200': json(executionBudgetStatusViewSchema, "the definition and the current window's reserved, used and remaining amounts"),
      ...errors,
      '404': json(errorSchema, 'no such execution budget'),
    },
  },
  'PUT /v1/execution-budgets/{id}': {
    requestParams: { path: executionBudgetPathSchema },
    requestBody: { content: { 'application/json': { schema: executionBudgetInputSchema } } },
    responses: {
      '200': json(executionBudgetViewSchema, "replaced; the window's counters stay and the new ceilings apply from the next reserve"),
      ...errors,
      '404': json(errorSchema, 'no such execution budget'),
    },
  },
  'DELETE /v1/execution-budgets/{id}': {
    requestParams: { path: executionBudgetPathSchema },
    responses: { '204': { description: 'deleted' }, ...errors, '404': json(errorSchema, 'no such execution budget') },
  },
  'POST /v1/execution-budgets/{id}/reserve': {
    requestParams: { path: executionBudgetPathSchema },
    requestBody: { content: { 'application/json': { schema: reserveRequestSchema } } },
    responses: {
      '200': json(reserveResultSchema, 'allow (with a reservationId to settle) or deny (with the ceilings that denied); a deny reserves nothing'),
      ...errors,
      '404': json(errorSchema, 'no such execution budget'),
      '409': json(errorSchema, 'the requestId was used before for a different estimate or conversationId'),
      '503': json(errorSchema, 'the budget stayed contended; retry with the same requestId'),
    },
  },
  'POST /v1/execution-budgets/{id}/settle': {
    requestParams: { path: executionBudgetPathSchema },
    requestBody: { content: { 'application/json': { schema: settleRequestSchema } } },
    responses: {
      '200': json(settleResultSchema, 'settled (or settled before with the same actual: the same settlement)'),
      ...errors,
      '404': json(errorSchema, 'no such execution budget, or no such reservation on it'),
      '409': json(errorSchema, 'the reservation was settled before with a different actual'),
      '503': json(errorSchema, 'the budget stayed contended; retry'),
    },
  },
  'GET /v1/signals': {
    requestParams: { query: signalQuerySchema },
    responses: { '200': json(signalListSchema, 'signals of the status, largest monthly impact first, with their evidence'), ...errors },
  },
};

export function openApiDocument(routes: readonly HttpRoute[] = httpRoutes) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const operation = operations[routeKey(route)];
    if (!operation) throw new Error(`no OpenAPI operation for ${routeKey(route)}`);
    const method = route.method.toLowerCase() as 'get';
    paths[route.path] = {
      ...paths[route.path],
      [method]: { summary: route.summary, ...operation, ...(route.scope ? { security: [{ bearer: [route.scope] }] } : {}) },
    };
  }
  return createDocument(
    {
      openapi: '3.1.0',
      info: { title: 'Compute Ledger API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'token with the scope named on each operation' } } },
      paths,
    },
    // Hand-checked schemas (z.custom) state their OpenAPI shape in .meta({ override }).
    { allowEmptySchema: { custom: true } },
  );
}
