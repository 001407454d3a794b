import { z } from 'zod';
import {
  anomalyFeedbackInputSchema,
  anomalyFeedbackResultSchema,
  anomalyIdSchema,
  anomalyListSchema,
  anomalyQuerySchema,
} from './domain/anomalies/anomaly-query.js';
import { budgetStatusViewSchema } from './domain/budgets/budget-status-view.js';
import { budgetInputSchema, budgetPathSchema, budgetViewSchema } from './domain/budgets/budgets.js';
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
import { costExportQuerySchema, costQuerySchema } from './domain/costs/cost-query.js';
import {
  analysisRunSchema,
  analysisRunsQuerySchema,
  unitEconomicsExportQuerySchema,
  unitEconomicsQuerySchema,
  unitEconomicsReportSchema,
} from './domain/economics/economics-query.js';
import { varianceQuerySchema, varianceReportSchema } from './domain/economics/variance.js';
import { priceQuerySchema } from './domain/market/price-query.js';
import { fleetUtilizationQuerySchema } from './domain/measurements/fleet-query.js';
import { checkBatchSize } from './domain/measurements/ingest-measurements.js';
import { ingestResultSchema, measurementBatchSchema } from './domain/measurements/measurement-batch.js';
import { parseMeasurementBatch } from './domain/measurements/measurement-fast-path.js';
import { capacityQuerySchema, collectorRunsQuerySchema } from './domain/providers/collector-query.js';
import { signalListSchema, signalQuerySchema } from './domain/signals/signal-query.js';
import { parseUsageBatch, usageBatchSchema, usageIngestResultSchema } from './domain/usage/usage-events.js';
import { otlpExportResponseSchema, otlpTracesSchema } from './domain/usage/usage-otlp.js';
import { modelNameSchema, modelPriceInputSchema, modelPriceListSchema, modelPriceViewSchema } from './domain/usage/usage-pricing.js';
import { usageQuerySchema, usageReportSchema } from './domain/usage/usage-query.js';
import { defineRoute, type HttpRoute } from './http-route.js';
import {
  capacitySchema,
  collectorRunSchema,
  costReportSchema,
  errorResponses as errors,
  errorSchema,
  fleetUtilizationSchema,
  healthSchema,
  jsonResponse as json,
  pricesSchema,
} from './response-schemas.js';

export { handlerFile, routeKey, type HttpMethod, type HttpRoute, type Scope } from './http-route.js';

/**
 * The HTTP route table: every route defined once, with its request and response schemas. The deployed API
 * (`stacks/api.ts`) and the local server serve it, `shared/openapi.ts` documents it, and each handler in
 * `functions/http/` passes its entry to `httpHandler`, which validates the request against it.
 */
export const routes = {
  health: defineRoute({
    method: 'GET',
    path: '/v1/health',
    handler: 'functions/http/health.handler',
    scope: null,
    summary: 'Liveness and store reachability',
    request: {},
    responses: { '200': json(healthSchema, 'alive') },
  }),
  openapi: defineRoute({
    method: 'GET',
    path: '/v1/openapi.json',
    handler: 'functions/http/openapi.handler',
    scope: null,
    summary: 'OpenAPI 3.1 document',
    request: {},
    responses: { '200': { description: 'this document' } },
  }),
  ingestMeasurements: defineRoute({
    method: 'POST',
    path: '/v1/measurements',
    handler: 'functions/http/ingest-measurements.handler',
    scope: 'ingest',
    summary: 'Ingest a batch of GPU measurements',
    request: { body: measurementBatchSchema.meta({ id: 'MeasurementBatch' }) },
    // The sample count first (413), then the fast path of the schema for large batches.
    parseBody: (body, config) => {
      checkBatchSize(body, config.LEDGER_MAX_BATCH_SAMPLES);
      return parseMeasurementBatch(body);
    },
    responses: {
      '202': json(ingestResultSchema.meta({ id: 'IngestResult' }), 'accepted (or a replay of a batch already accepted)'),
      ...errors,
      '409': json(errorSchema, 'the batchId was used before for different content'),
      '413': json(errorSchema, 'over 10,000 samples or 1 MiB compressed'),
      '415': json(errorSchema, 'not JSON, or an encoding other than gzip'),
    },
  }),
  fleetUtilization: defineRoute({
    method: 'GET',
    path: '/v1/fleet/utilization',
    handler: 'functions/http/fleet-utilization.handler',
    scope: 'read',
    summary: 'Paid versus effectively used GPU time',
    request: { query: fleetUtilizationQuerySchema },
    responses: { '200': json(fleetUtilizationSchema, 'utilization per host, GPU and in total'), ...errors },
  }),
  costs: defineRoute({
    method: 'GET',
    path: '/v1/costs',
    handler: 'functions/http/costs.handler',
    scope: 'read',
    summary: 'FOCUS cost sums by a dimension',
    request: { query: costQuerySchema },
    responses: { '200': json(costReportSchema, 'exact sums of BilledCost, EffectiveCost and ListCost per group and currency'), ...errors },
  }),
  costsExport: defineRoute({
    method: 'GET',
    path: '/v1/costs/export',
    handler: 'functions/http/costs-export.handler',
    scope: 'read',
    summary: 'FOCUS cost records as CSV',
    request: { query: costExportQuerySchema },
    responses: { '200': { description: 'FOCUS columns, one record a row', content: { 'text/csv': { schema: z.string() } } }, ...errors },
  }),
  prices: defineRoute({
    method: 'GET',
    path: '/v1/prices',
    handler: 'functions/http/prices.handler',
    scope: 'read',
    summary: 'GPU prices by provider and pricing category, latest or history',
    request: { query: priceQuerySchema },
    responses: { '200': json(pricesSchema, 'price points and a model x provider x category table per GPU-hour'), ...errors },
  }),
  capacity: defineRoute({
    method: 'GET',
    path: '/v1/capacity',
    handler: 'functions/http/capacity.handler',
    scope: 'read',
    summary: 'Reserved capacity, spot placement scores and GPU quotas',
    request: { query: capacityQuerySchema },
    responses: { '200': json(capacitySchema, 'the newest observation of each reservation, placement score and quota'), ...errors },
  }),
  collectorRuns: defineRoute({
    method: 'GET',
    path: '/v1/collector-runs',
    handler: 'functions/http/collector-runs.handler',
    scope: 'read',
    summary: 'What each collector run did',
    request: { query: collectorRunsQuerySchema },
    responses: { '200': json(z.object({ runs: z.array(collectorRunSchema) }), 'newest first'), ...errors },
  }),
  anomalies: defineRoute({
    method: 'GET',
    path: '/v1/anomalies',
    handler: 'functions/http/anomalies.handler',
    scope: 'read',
    summary: 'Spend anomalies and LLM usage drift, with root cause and feedback',
    request: { query: anomalyQuerySchema },
    responses: {
      '200': json(
        anomalyListSchema,
        'anomalies of the days [from, to), newest day first, largest dollar delta first, with root cause and feedback',
      ),
      ...errors,
    },
  }),
  anomalyFeedback: defineRoute({
    method: 'POST',
    path: '/v1/anomalies/{id}/feedback',
    handler: 'functions/http/anomaly-feedback.handler',
    scope: 'admin',
    summary: 'Mark an anomaly expected or unexpected',
    request: { path: { id: anomalyIdSchema.describe('the anomalyId') }, body: anomalyFeedbackInputSchema },
    responses: {
      '200': json(
        anomalyFeedbackResultSchema,
        'recorded; expected: not alerted again and kept in later baselines; unexpected: kept flagged and out of them',
      ),
      ...errors,
      '404': json(errorSchema, 'no such anomaly'),
    },
  }),
  ingestUsage: defineRoute({
    method: 'POST',
    path: '/v1/usage',
    handler: 'functions/http/ingest-usage.handler',
    scope: 'ingest',
    summary: 'Ingest a batch of LLM usage events (OpenTelemetry GenAI attributes)',
    request: { body: usageBatchSchema },
    // The event count first (413), then a fast path of the schema for large batches.
    parseBody: (body) => parseUsageBatch(body),
    responses: {
      '202': json(usageIngestResultSchema, 'counted; events whose ledger.request.id was already counted are duplicates'),
      ...errors,
      '413': json(errorSchema, 'over 5,000 events or 1 MiB compressed'),
      '415': json(errorSchema, 'not JSON, or an encoding other than gzip'),
    },
  }),
  ingestOtlpTraces: defineRoute({
    method: 'POST',
    path: '/v1/otlp/v1/traces',
    handler: 'functions/http/ingest-otlp-traces.handler',
    scope: 'ingest',
    summary: 'Ingest LLM usage from OTLP/HTTP JSON traces',
    request: { body: otlpTracesSchema },
    // ingestOtlpTraces checks the size and the schema itself, and answers the spans it rejects in partialSuccess.
    parseBody: (body): unknown => body,
    responses: {
      '200': json(
        otlpExportResponseSchema,
        'taken; partialSuccess names the rejected spans. Header x-ledger-usage carries the ledger counts',
      ),
      ...errors,
      '413': json(errorSchema, 'over 5,000 spans or 1 MiB compressed'),
      '415': json(errorSchema, 'OTLP protobuf or an encoding other than gzip: send OTLP/HTTP JSON (Content-Type: application/json)'),
    },
  }),
  usage: defineRoute({
    method: 'GET',
    path: '/v1/usage',
    handler: 'functions/http/usage.handler',
    scope: 'read',
    summary: 'LLM usage, cost and latency by workflow, agent, model or team',
    request: { query: usageQuerySchema },
    responses: { '200': json(usageReportSchema, 'usage, cost and latency per group and in total'), ...errors },
  }),
  modelPrices: defineRoute({
    method: 'GET',
    path: '/v1/model-prices',
    handler: 'functions/http/model-prices.handler',
    scope: 'read',
    summary: 'Model prices in USD per token',
    request: {},
    responses: { '200': json(modelPriceListSchema, 'stored prices over the illustrative defaults'), ...errors },
  }),
  putModelPrice: defineRoute({
    method: 'PUT',
    path: '/v1/model-prices/{model}',
    handler: 'functions/http/put-model-price.handler',
    scope: 'admin',
    summary: 'Set the price of one model',
    request: {
      path: { model: modelNameSchema.describe('model name as the provider reports it; percent-encode a slash') },
      body: modelPriceInputSchema.meta({ id: 'ModelPriceInput' }),
    },
    responses: { '200': json(modelPriceViewSchema, 'the stored price; it applies to usage ingested from now on'), ...errors },
  }),
  createBudget: defineRoute({
    method: 'POST',
    path: '/v1/budgets',
    handler: 'functions/http/create-budget.handler',
    scope: 'admin',
    summary: 'Create a budget: scope, amount, period and thresholds on actual and forecast spend',
    request: { body: budgetInputSchema },
    responses: { '201': json(budgetViewSchema, 'the stored budget, with its id'), ...errors },
  }),
  budgets: defineRoute({
    method: 'GET',
    path: '/v1/budgets',
    handler: 'functions/http/budgets.handler',
    scope: 'read',
    summary: 'List budgets',
    request: {},
    responses: { '200': json(z.object({ budgets: z.array(budgetViewSchema) }), 'every budget, by name'), ...errors },
  }),
  budget: defineRoute({
    method: 'GET',
    path: '/v1/budgets/{id}',
    handler: 'functions/http/budget.handler',
    scope: 'read',
    summary: 'One budget',
    request: { path: budgetPathSchema },
    responses: { '200': json(budgetViewSchema, 'the budget'), ...errors, '404': json(errorSchema, 'no budget with this id') },
  }),
  putBudget: defineRoute({
    method: 'PUT',
    path: '/v1/budgets/{id}',
    handler: 'functions/http/put-budget.handler',
    scope: 'admin',
    summary: 'Replace a budget',
    request: { path: budgetPathSchema, body: budgetInputSchema },
    responses: {
      '200': json(budgetViewSchema, 'the budget as replaced; breaches already raised in the period are not raised again'),
      ...errors,
      '404': json(errorSchema, 'no budget with this id'),
    },
  }),
  deleteBudget: defineRoute({
    method: 'DELETE',
    path: '/v1/budgets/{id}',
    handler: 'functions/http/delete-budget.handler',
    scope: 'admin',
    summary: 'Delete a budget',
    request: { path: budgetPathSchema },
    responses: { '204': { description: 'deleted' }, ...errors, '404': json(errorSchema, 'no budget with this id') },
  }),
  budgetStatus: defineRoute({
    method: 'GET',
    path: '/v1/budgets/{id}/status',
    handler: 'functions/http/budget-status.handler',
    scope: 'read',
    summary: "A budget's current period: actual and forecast spend, percents and thresholds crossed",
    request: { path: budgetPathSchema },
    responses: {
      '200': json(
        budgetStatusViewSchema,
        'the current period (days, periodEnd exclusive): actual spend so far, forecast to the period end, percents of the amount and thresholds crossed',
      ),
      ...errors,
      '404': json(errorSchema, 'no budget with this id'),
    },
  }),
  signals: defineRoute({
    method: 'GET',
    path: '/v1/signals',
    handler: 'functions/http/signals.handler',
    scope: 'read',
    summary: 'Recontracting signals (commit, move, consolidate, replace, renegotiate), largest monthly impact first',
    request: { query: signalQuerySchema },
    responses: { '200': json(signalListSchema, 'signals of the status, largest monthly impact first, with their evidence'), ...errors },
  }),
  createExecutionBudget: defineRoute({
    method: 'POST',
    path: '/v1/execution-budgets',
    handler: 'functions/http/create-execution-budget.handler',
    scope: 'admin',
    summary: 'Create an execution budget',
    request: { body: executionBudgetInputSchema },
    responses: { '201': json(executionBudgetViewSchema, 'created; the id is what reserve and settle name'), ...errors },
  }),
  executionBudgets: defineRoute({
    method: 'GET',
    path: '/v1/execution-budgets',
    handler: 'functions/http/execution-budgets.handler',
    scope: 'read',
    summary: 'List execution budgets',
    request: { query: executionBudgetListQuerySchema },
    responses: {
      '200': json(
        z.object({ budgets: z.array(executionBudgetViewSchema) }),
        'oldest first; workflow and agent keep those that apply to them',
      ),
      ...errors,
    },
  }),
  executionBudget: defineRoute({
    method: 'GET',
    path: '/v1/execution-budgets/{id}',
    handler: 'functions/http/execution-budget.handler',
    scope: 'read',
    summary: "An execution budget and its current window's reserved, used and remaining amounts",
    request: { path: executionBudgetPathSchema, query: executionBudgetStatusQuerySchema },
    responses: {
      '200': json(executionBudgetStatusViewSchema, "the definition and the current window's reserved, used and remaining amounts"),
      ...errors,
      '404': json(errorSchema, 'no such execution budget'),
    },
  }),
  putExecutionBudget: defineRoute({
    method: 'PUT',
    path: '/v1/execution-budgets/{id}',
    handler: 'functions/http/put-execution-budget.handler',
    scope: 'admin',
    summary: 'Replace an execution budget',
    request: { path: executionBudgetPathSchema, body: executionBudgetInputSchema },
    responses: {
      '200': json(executionBudgetViewSchema, "replaced; the window's counters stay and the new ceilings apply from the next reserve"),
      ...errors,
      '404': json(errorSchema, 'no such execution budget'),
    },
  }),
  deleteExecutionBudget: defineRoute({
    method: 'DELETE',
    path: '/v1/execution-budgets/{id}',
    handler: 'functions/http/delete-execution-budget.handler',
    scope: 'admin',
    summary: 'Delete an execution budget',
    request: { path: executionBudgetPathSchema },
    responses: { '204': { description: 'deleted' }, ...errors, '404': json(errorSchema, 'no such execution budget') },
  }),
  reserveExecutionBudget: defineRoute({
    method: 'POST',
    path: '/v1/execution-budgets/{id}/reserve',
    handler: 'functions/http/reserve-execution-budget.handler',
    scope: 'ingest',
    summary: 'Reserve an estimate atomically: allow or deny, with what remains',
    request: { path: executionBudgetPathSchema, body: reserveRequestSchema },
    responses: {
      '200': json(
        reserveResultSchema,
        'allow (with a reservationId to settle) or deny (with the ceilings that denied); a deny reserves nothing',
      ),
      ...errors,
      '404': json(errorSchema, 'no such execution budget'),
      '409': json(errorSchema, 'the requestId was used before for a different estimate or conversationId'),
      '503': json(errorSchema, 'the budget stayed contended; retry with the same requestId'),
    },
  }),
  settleExecutionBudget: defineRoute({
    method: 'POST',
    path: '/v1/execution-budgets/{id}/settle',
    handler: 'functions/http/settle-execution-budget.handler',
    scope: 'ingest',
    summary: 'Record the actual of a reservation',
    request: { path: executionBudgetPathSchema, body: settleRequestSchema },
    responses: {
      '200': json(settleResultSchema, 'settled (or settled before with the same actual: the same settlement)'),
      ...errors,
      '404': json(errorSchema, 'no such execution budget, or no such reservation on it'),
      '409': json(errorSchema, 'the reservation was settled before with a different actual'),
      '503': json(errorSchema, 'the budget stayed contended; retry'),
    },
  }),
  unitEconomics: defineRoute({
    method: 'GET',
    path: '/v1/unit-economics',
    handler: 'functions/http/unit-economics.handler',
    scope: 'read',
    summary:
      'Cost per effective GPU-hour, per million tokens and per 1,000 requests, idle and idle-held cost and energy, by pool, host, team, workflow, model, namespace, pod and job',
    request: { query: unitEconomicsQuerySchema },
    responses: {
      '200': json(unitEconomicsReportSchema, 'rows of the days [from, to) (default: the last 7 days and today), oldest first'),
      ...errors,
    },
  }),
  unitEconomicsExport: defineRoute({
    method: 'GET',
    path: '/v1/unit-economics/export',
    handler: 'functions/http/unit-economics-export.handler',
    scope: 'read',
    summary: 'Unit-economics rows as CSV, for chargeback by team, namespace, pod or job',
    request: { query: unitEconomicsExportQuerySchema },
    responses: {
      '200': {
        description: 'unit-economics rows, one a line, the columns of UnitEconomicsRow',
        content: { 'text/csv': { schema: z.string() } },
      },
      ...errors,
    },
  }),
  unitEconomicsVariance: defineRoute({
    method: 'GET',
    path: '/v1/unit-economics/variance',
    handler: 'functions/http/unit-economics-variance.handler',
    scope: 'read',
    summary:
      "Why a unit cost moved: one scope's day against the day before, split into price, utilization, efficiency and API usage (LMDI)",
    request: { query: varianceQuerySchema },
    responses: {
      '200': json(varianceReportSchema, 'the change of cost per effective GPU-hour and per 1M tokens, with parts that add up to it'),
      ...errors,
      '404': json(errorSchema, 'no row of this scope on the day or the day before'),
    },
  }),
  analysisRuns: defineRoute({
    method: 'GET',
    path: '/v1/analysis-runs',
    handler: 'functions/http/analysis-runs.handler',
    scope: 'read',
    summary: 'What each analysis run did, with the scopes that failed',
    request: { query: analysisRunsQuerySchema },
    responses: { '200': json(z.object({ runs: z.array(analysisRunSchema) }), 'newest first'), ...errors },
  }),
};

/** The routes in the order they are deployed and documented. */
export const httpRoutes: readonly HttpRoute[] = Object.values(routes);
