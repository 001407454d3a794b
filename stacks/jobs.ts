import { scheduledJobs, type ScheduledJob } from '../shared/schedules.js';
import { permissionsFor } from '../shared/permissions.js';
import { bus } from './notifications.js';
import { shellSettings } from './shell-settings.js';
import { table, tableGrants } from './storage.js';
import { analysis } from './workflows.js';

/**
 * Scheduled jobs (collectors, analysis starters): one function per job in `shared/schedules.ts`, invoked by EventBridge Scheduler
 * (CronV2), with the table grants of its handler in `shared/permissions.ts`, PutEvents on the ledger bus,
 * and the provider APIs the job lists. Those APIs (Cost Explorer, EC2 Describe*, Price List, Service Quotas)
 * do not support resource-level permissions, so they are granted on `*`, action by action.
 *
 * Azure and Google Cloud credentials come from SST secrets (`npx sst secret set AzureClientSecret ...`).
 */
const azureTenantId = new sst.Secret('AzureTenantId', '');
const azureClientId = new sst.Secret('AzureClientId', '');
const azureClientSecret = new sst.Secret('AzureClientSecret', '');
const azureScope = new sst.Secret('AzureScope', '');
const gcpProjectId = new sst.Secret('GcpProjectId', '');
const gcpBillingExportTable = new sst.Secret('GcpBillingExportTable', '');

/** Collector settings that are not secret come from the deploying shell (see docs/deploy.md). */
const deployedSettings = shellSettings([
  'LEDGER_AWS_BILLING_ACCOUNT_ID',
  'LEDGER_AWS_BILLING_ACCOUNT_NAME',
  'LEDGER_AWS_REGIONS',
  'LEDGER_AWS_COST_TAGS',
  'LEDGER_AZURE_COST_TAGS',
  'LEDGER_GCP_BILLING_ACCOUNT_ID',
]);

function jobName(job: ScheduledJob): string {
  return job.name
    .split('-')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** What a collector needs and an analysis starter does not: the provider credentials and settings, and the bus. */
function collectorEnvironment(job: ScheduledJob) {
  if (job.startsAnalysis) return {};
  return {
    LEDGER_EVENT_BUS_NAME: bus.name,
    AZURE_TENANT_ID: azureTenantId.value,
    AZURE_CLIENT_ID: azureClientId.value,
    AZURE_CLIENT_SECRET: azureClientSecret.value,
    LEDGER_AZURE_SCOPE: azureScope.value,
    LEDGER_GCP_PROJECT_ID: gcpProjectId.value,
    LEDGER_GCP_BILLING_EXPORT_TABLE: gcpBillingExportTable.value,
    ...deployedSettings,
  };
}

export const jobs = scheduledJobs.map(
  (job) =>
    new sst.aws.CronV2(jobName(job), {
      schedule: job.expression,
      retries: 2,
      ...(job.input ? { event: { ...job.input } } : {}),
      function: {
        handler: job.handler,
        description: job.description,
        runtime: 'nodejs22.x',
        architecture: 'arm64',
        memory: '1024 MB',
        timeout: `${job.timeoutSeconds} seconds`,
        environment: {
          LEDGER_TABLE_NAME: table.name,
          LEDGER_STAGE: $app.stage,
          POWERTOOLS_SERVICE_NAME: 'compute-ledger',
          ...collectorEnvironment(job),
          ...(job.startsAnalysis ? { LEDGER_ANALYSIS_STATE_MACHINE_ARN: analysis.arn } : {}),
        },
        permissions: [
          ...tableGrants(permissionsFor(job.handler)),
          ...(job.startsAnalysis
            ? [{ actions: ['states:StartExecution'], resources: [analysis.arn] }]
            : [{ actions: ['events:PutEvents'], resources: [bus.arn] }]),
          ...(job.providerActions.length ? [{ actions: [...job.providerActions], resources: ['*'] }] : []),
        ],
        logging: { retention: '1 month', format: 'json' },
      },
    }),
);
