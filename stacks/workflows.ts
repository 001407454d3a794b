import { permissionsFor } from '../shared/permissions.js';
import { workflowTasks, type WorkflowTaskName } from '../shared/workflow-tasks.js';
import { analysisStateMachine } from './analysis-state-machine.js';
import { bus } from './notifications.js';
import { shellSettings } from './shell-settings.js';
import { table, tableGrants } from './storage.js';

/**
 * The analysis: one Lambda function per task of `shared/workflow-tasks.ts`, and the state machine of
 * `stacks/analysis-state-machine.ts` (ASL, JSONPath) deployed with the AWS provider's `aws.sfn.StateMachine`,
 * whose role may invoke those functions and nothing else. The scheduled starters (`stacks/jobs.ts`) start it.
 */

/** Analysis settings that are not secret come from the deploying shell, as the collectors' do. */
const deployedSettings = shellSettings([
  'LEDGER_TEAM_TAG',
  'LEDGER_MOVE_MARGIN_PERCENT',
  'LEDGER_CONSOLIDATE_IDLE_PERCENT',
  'LEDGER_RENEGOTIATE_THRESHOLD_PERCENT',
  'LEDGER_ANOMALY_MIN_DOLLARS',
  'LEDGER_ANOMALY_MIN_PERCENT',
  'LEDGER_ANOMALY_MIN_SCORE',
]);

export const workflowFunctions = Object.fromEntries(
  workflowTasks.map((task) => [
    task.name,
    new sst.aws.Function(`Analysis${task.name}`, {
      handler: task.handler,
      description: task.description,
      runtime: 'nodejs22.x',
      architecture: 'arm64',
      memory: `${task.memoryMb} MB`,
      timeout: `${task.timeoutSeconds} seconds`,
      environment: {
        LEDGER_TABLE_NAME: table.name,
        LEDGER_STAGE: $app.stage,
        LEDGER_EVENT_BUS_NAME: bus.name,
        POWERTOOLS_SERVICE_NAME: 'compute-ledger',
        ...deployedSettings,
      },
      permissions: [
        ...tableGrants(permissionsFor(task.handler)),
        ...(task.publishes ? [{ actions: ['events:PutEvents'], resources: [bus.arn] }] : []),
      ],
      logging: { retention: '1 month', format: 'json' },
    }),
  ]),
) as Record<WorkflowTaskName, sst.aws.Function>;

const stateMachineRole = new aws.iam.Role('AnalysisStateMachineRole', {
  assumeRolePolicy: $jsonStringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  }),
});

new aws.iam.RolePolicy('AnalysisStateMachineInvoke', {
  role: stateMachineRole.id,
  policy: $jsonStringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        // The function and its versions/aliases, nothing else.
        Resource: Object.values(workflowFunctions).flatMap((fn) => [fn.arn, $interpolate`${fn.arn}:*`]),
      },
    ],
  }),
});

export const analysis = new aws.sfn.StateMachine('Analysis', {
  type: 'STANDARD',
  roleArn: stateMachineRole.arn,
  definition: $jsonStringify(
    analysisStateMachine(
      Object.fromEntries(Object.entries(workflowFunctions).map(([name, fn]) => [name, fn.arn])) as Record<
        WorkflowTaskName,
        $util.Output<string>
      > as never,
    ),
  ),
});
