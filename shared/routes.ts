/**
 * The HTTP route table: one source for the deployed API (`stacks/api.ts`), the local server and the tests.
 * `handler` is `<file without extension>.<export>` relative to the repository root, as SST expects.
 */
export type Scope = 'ingest' | 'read' | 'admin';

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  handler: string;
  /** Scope the bearer token must carry; `null` means no authentication. */
  scope: Scope | null;
  summary: string;
}

export const httpRoutes: readonly HttpRoute[] = [
  { method: 'GET', path: '/v1/health', handler: 'functions/http/health.handler', scope: null, summary: 'Liveness and store reachability' },
  { method: 'GET', path: '/v1/openapi.json', handler: 'functions/http/openapi.handler', scope: null, summary: 'OpenAPI 3.1 document' },
  { method: 'POST', path: '/v1/measurements', handler: 'functions/http/ingest-measurements.handler', scope: 'ingest', summary: 'Ingest a batch of GPU measurements' },
  { method: 'GET', path: '/v1/fleet/utilization', handler: 'functions/http/fleet-utilization.handler', scope: 'read', summary: 'Paid versus effectively used GPU time' },
  { method: 'GET', path: '/v1/costs', handler: 'functions/http/costs.handler', scope: 'read', summary: 'FOCUS cost sums by a dimension' },
  { method: 'GET', path: '/v1/costs/export', handler: 'functions/http/costs-export.handler', scope: 'read', summary: 'FOCUS cost records as CSV' },
  { method: 'GET', path: '/v1/prices', handler: 'functions/http/prices.handler', scope: 'read', summary: 'GPU prices by provider and pricing category, latest or history' },
  { method: 'GET', path: '/v1/capacity', handler: 'functions/http/capacity.handler', scope: 'read', summary: 'Reserved capacity, spot placement scores and GPU quotas' },
  { method: 'GET', path: '/v1/collector-runs', handler: 'functions/http/collector-runs.handler', scope: 'read', summary: 'What each collector run did' },
  { method: 'GET', path: '/v1/anomalies', handler: 'functions/http/anomalies.handler', scope: 'read', summary: 'Spend anomalies and LLM usage drift, with root cause and feedback' },
  { method: 'POST', path: '/v1/anomalies/{id}/feedback', handler: 'functions/http/anomaly-feedback.handler', scope: 'admin', summary: 'Mark an anomaly expected or unexpected' },
  { method: 'POST', path: '/v1/usage', handler: 'functions/http/ingest-usage.handler', scope: 'ingest', summary: 'Ingest a batch of LLM usage events (OpenTelemetry GenAI attributes)' },
  { method: 'POST', path: '/v1/otlp/v1/traces', handler: 'functions/http/ingest-otlp-traces.handler', scope: 'ingest', summary: 'Ingest LLM usage from OTLP/HTTP JSON traces' },
  { method: 'GET', path: '/v1/usage', handler: 'functions/http/usage.handler', scope: 'read', summary: 'LLM usage, cost and latency by workflow, agent, model or team' },
  { method: 'GET', path: '/v1/model-prices', handler: 'functions/http/model-prices.handler', scope: 'read', summary: 'Model prices in USD per token' },
  { method: 'PUT', path: '/v1/model-prices/{model}', handler: 'functions/http/put-model-price.handler', scope: 'admin', summary: 'Set the price of one model' },
  { method: 'POST', path: '/v1/budgets', handler: 'functions/http/create-budget.handler', scope: 'admin', summary: 'Create a budget: scope, amount, period and thresholds on actual and forecast spend' },
  { method: 'GET', path: '/v1/budgets', handler: 'functions/http/budgets.handler', scope: 'read', summary: 'List budgets' },
  { method: 'GET', path: '/v1/budgets/{id}', handler: 'functions/http/budget.handler', scope: 'read', summary: 'One budget' },
  { method: 'PUT', path: '/v1/budgets/{id}', handler: 'functions/http/put-budget.handler', scope: 'admin', summary: 'Replace a budget' },
  { method: 'DELETE', path: '/v1/budgets/{id}', handler: 'functions/http/delete-budget.handler', scope: 'admin', summary: 'Delete a budget' },
  { method: 'GET', path: '/v1/budgets/{id}/status', handler: 'functions/http/budget-status.handler', scope: 'read', summary: "A budget's current period: actual and forecast spend, percents and thresholds crossed" },
  { method: 'GET', path: '/v1/signals', handler: 'functions/http/signals.handler', scope: 'read', summary: 'Recontracting signals (commit, move, consolidate, replace, renegotiate), largest monthly impact first' },
  { method: 'POST', path: '/v1/execution-budgets', handler: 'functions/http/create-execution-budget.handler', scope: 'admin', summary: 'Create an execution budget' },
  { method: 'GET', path: '/v1/execution-budgets', handler: 'functions/http/execution-budgets.handler', scope: 'read', summary: 'List execution budgets' },
  { method: 'GET', path: '/v1/execution-budgets/{id}', handler: 'functions/http/execution-budget.handler', scope: 'read', summary: "An execution budget and its current window's reserved, used and remaining amounts" },
  { method: 'PUT', path: '/v1/execution-budgets/{id}', handler: 'functions/http/put-execution-budget.handler', scope: 'admin', summary: 'Replace an execution budget' },
  { method: 'DELETE', path: '/v1/execution-budgets/{id}', handler: 'functions/http/delete-execution-budget.handler', scope: 'admin', summary: 'Delete an execution budget' },
  { method: 'POST', path: '/v1/execution-budgets/{id}/reserve', handler: 'functions/http/reserve-execution-budget.handler', scope: 'ingest', summary: 'Reserve an estimate atomically: allow or deny, with what remains' },
  { method: 'POST', path: '/v1/execution-budgets/{id}/settle', handler: 'functions/http/settle-execution-budget.handler', scope: 'ingest', summary: 'Record the actual of a reservation' },
  { method: 'GET', path: '/v1/unit-economics', handler: 'functions/http/unit-economics.handler', scope: 'read', summary: 'Cost per effective GPU-hour, per million tokens and per 1,000 requests, idle and idle-held cost and energy, by pool, host, team, workflow, model, namespace, pod and job' },
  { method: 'GET', path: '/v1/unit-economics/export', handler: 'functions/http/unit-economics-export.handler', scope: 'read', summary: 'Unit-economics rows as CSV, for chargeback by team, namespace, pod or job' },
  { method: 'GET', path: '/v1/analysis-runs', handler: 'functions/http/analysis-runs.handler', scope: 'read', summary: 'What each analysis run did, with the scopes that failed' },
];

export function routeKey(route: Pick<HttpRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export function handlerFile(route: Pick<HttpRoute, 'handler'>): { file: string; exportName: string } {
  const dot = route.handler.lastIndexOf('.');
  return { file: `${route.handler.slice(0, dot)}.ts`, exportName: route.handler.slice(dot + 1) };
}
