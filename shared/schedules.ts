/**
 * Scheduled jobs: one source for the deployed schedules (`stacks/jobs.ts`, EventBridge Scheduler), the local
 * runtime's clock and the tests. `handler` is `<file without extension>.<export>` as in the route table.
 * Expressions are EventBridge Scheduler's (`rate(...)` or six-field `cron(...)`, UTC).
 */
export type ProviderApiAction =
  | 'ce:GetCostAndUsage'
  | 'ce:GetCostAndUsageWithResources'
  | 'ec2:DescribeSpotPriceHistory'
  | 'ec2:DescribeCapacityReservations'
  | 'ec2:GetSpotPlacementScores'
  | 'pricing:GetProducts'
  | 'servicequotas:ListServiceQuotas'
  | 'servicequotas:GetServiceQuota';

export interface ScheduledJob {
  name: string;
  handler: string;
  expression: `rate(${string})` | `cron(${string})`;
  description: string;
  /** AWS APIs the job calls besides the ledger table and the event bus; these APIs take no resource ARNs. */
  providerActions: readonly ProviderApiAction[];
  /** Seconds the function may run (Lambda allows 900). */
  timeoutSeconds: number;
  /** The event the scheduler passes (default `{}`). */
  input?: Readonly<Record<string, unknown>>;
  /** Starts the analysis state machine (gets its ARN and states:StartExecution on it). */
  startsAnalysis?: boolean;
}

export const scheduledJobs: readonly ScheduledJob[] = [
  {
    name: 'collect-aws-costs',
    handler: 'functions/cron/collect-aws-costs.handler',
    expression: 'cron(20 */6 * * ? *)',
    description: 'AWS Cost Explorer: the trailing days AWS may still restate, daily, normalized to FOCUS',
    providerActions: ['ce:GetCostAndUsage', 'ce:GetCostAndUsageWithResources'],
    timeoutSeconds: 900,
  },
  {
    name: 'collect-azure-costs',
    handler: 'functions/cron/collect-azure-costs.handler',
    expression: 'cron(25 */6 * * ? *)',
    description: 'Azure Cost Management: actual and amortized cost, normalized to FOCUS',
    providerActions: [],
    timeoutSeconds: 900,
  },
  {
    name: 'collect-gcp-costs',
    handler: 'functions/cron/collect-gcp-costs.handler',
    expression: 'cron(30 */6 * * ? *)',
    description: 'Google Cloud billing export in BigQuery, credits folded into effective cost',
    providerActions: [],
    timeoutSeconds: 900,
  },
  {
    name: 'collect-prices',
    handler: 'functions/cron/collect-prices.handler',
    expression: 'rate(1 hour)',
    description: 'GPU on-demand, spot and reserved prices from AWS, Azure and Google Cloud',
    providerActions: ['ec2:DescribeSpotPriceHistory', 'pricing:GetProducts'],
    timeoutSeconds: 600,
  },
  {
    name: 'collect-capacity',
    handler: 'functions/cron/collect-capacity.handler',
    expression: 'rate(1 hour)',
    description: 'AWS capacity reservations, spot placement scores and GPU instance quotas',
    providerActions: [
      'ec2:DescribeCapacityReservations',
      'ec2:GetSpotPlacementScores',
      'servicequotas:ListServiceQuotas',
      'servicequotas:GetServiceQuota',
    ],
    timeoutSeconds: 300,
  },
  {
    name: 'analyze-hourly',
    handler: 'functions/cron/start-analysis.handler',
    expression: 'cron(5 * * * ? *)',
    description: 'Starts the analysis state machine: the last hour rolled up, unit economics, signals, budgets, anomalies',
    providerActions: [],
    timeoutSeconds: 60,
    input: { mode: 'hourly' },
    startsAnalysis: true,
  },
  {
    name: 'analyze-daily',
    handler: 'functions/cron/start-analysis.handler',
    expression: 'cron(15 0 * * ? *)',
    description: 'Starts the analysis state machine for the day that ended, with the daily digest',
    providerActions: [],
    timeoutSeconds: 60,
    input: { mode: 'daily' },
    startsAnalysis: true,
  },
];
