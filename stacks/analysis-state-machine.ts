import type { WorkflowTaskName } from '../shared/workflow-tasks.js';

/**
 * The analysis state machine in Amazon States Language (JSONPath). Plain data, no SST: `stacks/workflows.ts`
 * deploys it with the Lambda ARNs of `shared/workflow-tasks.ts`, and the local runner runs the very same definition
 * with those task states bound to the same handlers.
 *
 * PlanAnalysis → AnalyzePools (Map over pools; a failing pool is caught and reported, the others go on)
 * → SummarizeEconomics → Assess (Parallel: signals, budgets, anomalies; each caught on its own)
 * → IsDaily (Choice) → BuildDigest → RecordAnalysis. A failure outside the caught scopes is recorded, then fails.
 */
export type TaskArns = Record<WorkflowTaskName, string>;

/** Errors worth another attempt: Lambda's own transient faults, timeouts and DynamoDB throttling. */
export const transientErrors = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'States.Timeout',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
] as const;

const retry = [
  { ErrorEquals: [...transientErrors], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
];

const executionFacts = { 'executionId.$': '$$.Execution.Id', 'startedAt.$': '$$.Execution.StartTime' };

function assessment(state: 'RaiseSignals' | 'EvaluateBudgets' | 'DetectAnomalies', arns: TaskArns) {
  return {
    StartAt: state,
    States: {
      [state]: {
        Type: 'Task',
        Resource: arns[state],
        Parameters: { 'date.$': '$.plan.date', 'at.$': '$.plan.at', 'mode.$': '$.plan.mode' },
        Retry: retry,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${state}Failed` }],
        End: true,
      },
      [`${state}Failed`]: {
        Type: 'Pass',
        Parameters: { step: state, status: 'failed', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
        End: true,
      },
    },
  };
}

export function analysisStateMachine(arns: TaskArns) {
  return {
    Comment: 'Compute Ledger analysis: unit economics, signals, budgets, anomalies and the daily digest',
    StartAt: 'PlanAnalysis',
    TimeoutSeconds: 3600,
    States: {
      PlanAnalysis: {
        Type: 'Task',
        Resource: arns.PlanAnalysis,
        ResultPath: '$.plan',
        Retry: retry,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RecordFailure' }],
        Next: 'AnalyzePools',
      },
      AnalyzePools: {
        Type: 'Map',
        ItemsPath: '$.plan.pools',
        MaxConcurrency: 10,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'RollupPool',
          States: {
            RollupPool: {
              Type: 'Task',
              Resource: arns.RollupPool,
              Retry: retry,
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'PoolFailed' }],
              End: true,
            },
            PoolFailed: {
              Type: 'Pass',
              Parameters: { 'pool.$': '$.pool', status: 'failed', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
              End: true,
            },
          },
        },
        ResultPath: '$.pools',
        Next: 'SummarizeEconomics',
      },
      SummarizeEconomics: {
        Type: 'Task',
        Resource: arns.SummarizeEconomics,
        Parameters: { 'mode.$': '$.plan.mode', 'date.$': '$.plan.date', 'at.$': '$.plan.at' },
        ResultPath: '$.economics',
        Retry: retry,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RecordFailure' }],
        Next: 'Assess',
      },
      Assess: {
        Type: 'Parallel',
        Branches: [assessment('RaiseSignals', arns), assessment('EvaluateBudgets', arns), assessment('DetectAnomalies', arns)],
        ResultPath: '$.assessments',
        Next: 'IsDaily',
      },
      IsDaily: {
        Type: 'Choice',
        Choices: [{ Variable: '$.plan.mode', StringEquals: 'daily', Next: 'BuildDigest' }],
        Default: 'RecordAnalysis',
      },
      BuildDigest: {
        Type: 'Task',
        Resource: arns.BuildDigest,
        Parameters: { 'date.$': '$.plan.date', 'at.$': '$.plan.at', 'pools.$': '$.pools', 'assessments.$': '$.assessments' },
        ResultPath: '$.digest',
        Retry: retry,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.digestFailure', Next: 'RecordAnalysis' }],
        Next: 'RecordAnalysis',
      },
      RecordAnalysis: {
        Type: 'Task',
        Resource: arns.RecordAnalysis,
        Parameters: { ...executionFacts, outcome: 'completed', 'state.$': '$' },
        ResultPath: '$.run',
        Retry: retry,
        End: true,
      },
      RecordFailure: {
        Type: 'Task',
        Resource: arns.RecordAnalysis,
        Parameters: { ...executionFacts, outcome: 'failed', 'state.$': '$' },
        Retry: retry,
        ResultPath: null,
        Next: 'AnalysisFailed',
      },
      AnalysisFailed: {
        Type: 'Fail',
        Error: 'AnalysisFailed',
        Cause: 'A step outside the per-scope catches failed; see the analysis run record.',
      },
    },
  };
}

export type AnalysisStateMachineDefinition = ReturnType<typeof analysisStateMachine>;

/** Which task state calls which task's handler (RecordFailure shares RecordAnalysis's function). */
export const taskStateHandlers: Record<string, WorkflowTaskName> = {
  PlanAnalysis: 'PlanAnalysis',
  RollupPool: 'RollupPool',
  SummarizeEconomics: 'SummarizeEconomics',
  RaiseSignals: 'RaiseSignals',
  EvaluateBudgets: 'EvaluateBudgets',
  DetectAnomalies: 'DetectAnomalies',
  BuildDigest: 'BuildDigest',
  RecordAnalysis: 'RecordAnalysis',
  RecordFailure: 'RecordAnalysis',
};
