/**
 * The analysis state machine's task states and the Lambda handler each one invokes: one source for the deployed
 * functions (`stacks/workflows.ts`), the ASL definition (`stacks/analysis-state-machine.ts`), the local runner that
 * binds the same states to the same handlers, and the tests. `handler` is `<file without extension>.<export>`.
 */
export const workflowTaskNames = [
  'PlanAnalysis',
  'RollupPool',
  'SummarizeEconomics',
  'RaiseSignals',
  'EvaluateBudgets',
  'DetectAnomalies',
  'BuildDigest',
  'RecordAnalysis',
] as const;
export type WorkflowTaskName = (typeof workflowTaskNames)[number];

export interface WorkflowTask {
  name: WorkflowTaskName;
  handler: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** Publishes events on the ledger bus. */
  publishes: boolean;
}

export const workflowTasks: readonly WorkflowTask[] = [
  {
    name: 'PlanAnalysis',
    handler: 'functions/workflow/plan-analysis.handler',
    description: 'Analysis: the hours to roll up and the pools that reported in them',
    timeoutSeconds: 60,
    memoryMb: 512,
    publishes: false,
  },
  {
    name: 'RollupPool',
    handler: 'functions/workflow/rollup-pool.handler',
    description: "Analysis: one pool's minute rollups folded into host-hours",
    timeoutSeconds: 300,
    memoryMb: 1024,
    publishes: false,
  },
  {
    name: 'SummarizeEconomics',
    handler: 'functions/workflow/summarize-economics.handler',
    description: 'Analysis: unit economics per pool, host, team, workflow and model; fleet observations',
    timeoutSeconds: 900,
    memoryMb: 2048,
    publishes: false,
  },
  {
    name: 'RaiseSignals',
    handler: 'functions/workflow/raise-signals.handler',
    description: 'Analysis: recontracting signals (commit, move, consolidate, replace, renegotiate)',
    timeoutSeconds: 300,
    memoryMb: 1024,
    publishes: true,
  },
  {
    name: 'EvaluateBudgets',
    handler: 'functions/workflow/evaluate-budgets.handler',
    description: 'Analysis: budget status, forecasts and breaches',
    timeoutSeconds: 300,
    memoryMb: 1024,
    publishes: true,
  },
  {
    name: 'DetectAnomalies',
    handler: 'functions/workflow/detect-anomalies.handler',
    description: 'Analysis: spend anomalies with root cause, LLM usage drift',
    timeoutSeconds: 300,
    memoryMb: 1024,
    publishes: true,
  },
  {
    name: 'BuildDigest',
    handler: 'functions/workflow/build-digest.handler',
    description: 'Analysis: the daily digest, stored and announced',
    timeoutSeconds: 300,
    memoryMb: 1024,
    publishes: true,
  },
  {
    name: 'RecordAnalysis',
    handler: 'functions/workflow/record-analysis.handler',
    description: 'Analysis: what the run did, which scopes failed',
    timeoutSeconds: 60,
    memoryMb: 512,
    publishes: false,
  },
];

export function workflowTask(name: WorkflowTaskName): WorkflowTask {
  return workflowTasks.find((t) => t.name === name)!;
}
