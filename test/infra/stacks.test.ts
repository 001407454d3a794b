import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ledgerKeyAttributes, ledgerTable } from '../../shared/adapters/dynamo/table.js';
import { permissionsFor } from '../../shared/permissions.js';
import { httpRoutes, routeKey } from '../../shared/routes.js';
import { scheduledJobs } from '../../shared/schedules.js';
import { workflowTasks } from '../../shared/workflow-tasks.js';

/**
 * The stacks and sst.config.ts run here against stand-ins for SST's globals (`sst.aws.*`, `$app`,
 * `$interpolate`, `$config`) that record what they are given. `npm run check:infra` checks the same files
 * against SST's real types; these tests check the values.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const source = (file: string) => readFileSync(resolve(root, file), 'utf8');

const ACCOUNT = '123456789012';

interface RecordedRoute {
  key: string;
  handler: Record<string, unknown>;
  args: unknown;
}

interface Recorder {
  tables: Array<{ name: string; args: Record<string, unknown> }>;
  apis: Array<{ name: string; args: Record<string, unknown> }>;
  routes: RecordedRoute[];
  buses: string[];
  crons: Array<{ name: string; args: { schedule: string; retries?: number; function: Record<string, unknown> } }>;
  secrets: string[];
  subscriptions: Array<{ bus: string; name: string; subscriber: Record<string, unknown>; args: { pattern?: Record<string, unknown> } }>;
  functions: Array<{ name: string; args: Record<string, unknown> }>;
  roles: Array<{ name: string; args: { assumeRolePolicy: string } }>;
  rolePolicies: Array<{ name: string; args: { role: string; policy: string } }>;
  stateMachines: Array<{ name: string; args: { type: string; roleArn: string; definition: string } }>;
}

function installFakeSst(app: { stage: string; removal: 'remove' | 'retain' }): Recorder {
  const recorder: Recorder = {
    tables: [],
    apis: [],
    routes: [],
    buses: [],
    crons: [],
    secrets: [],
    subscriptions: [],
    functions: [],
    roles: [],
    rolePolicies: [],
    stateMachines: [],
  };
  class Bus {
    readonly name: string;
    readonly arn: string;
    constructor(name: string) {
      recorder.buses.push(name);
      this.name = `compute-ledger-${app.stage}-${name}Bus`;
      this.arn = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${this.name}`;
    }
    subscribe(name: string, subscriber: Record<string, unknown>, args: { pattern?: Record<string, unknown> } = {}) {
      recorder.subscriptions.push({ bus: this.name, name, subscriber, args });
      return { name };
    }
  }
  class LambdaFunction {
    readonly arn: string;
    constructor(name: string, args: Record<string, unknown>) {
      recorder.functions.push({ name, args });
      this.arn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:compute-ledger-${app.stage}-${name}Function`;
    }
  }
  class Role {
    readonly id: string;
    readonly arn: string;
    constructor(name: string, args: Recorder['roles'][number]['args']) {
      recorder.roles.push({ name, args });
      this.id = `${name}-id`;
      this.arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
    }
  }
  class RolePolicy {
    constructor(name: string, args: Recorder['rolePolicies'][number]['args']) {
      recorder.rolePolicies.push({ name, args });
    }
  }
  class StateMachine {
    readonly arn: string;
    constructor(name: string, args: Recorder['stateMachines'][number]['args']) {
      recorder.stateMachines.push({ name, args });
      this.arn = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:compute-ledger-${app.stage}-${name}`;
    }
  }
  class CronV2 {
    constructor(name: string, args: Recorder['crons'][number]['args']) {
      recorder.crons.push({ name, args });
    }
  }
  class Secret {
    readonly value: string;
    constructor(name: string) {
      recorder.secrets.push(name);
      this.value = `secret:${name}`;
    }
  }
  class Dynamo {
    readonly name: string;
    readonly arn: string;
    constructor(name: string, args: Record<string, unknown>) {
      recorder.tables.push({ name, args });
      this.name = `compute-ledger-${app.stage}-${name}Table`;
      this.arn = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${this.name}`;
    }
  }
  class ApiGatewayV2 {
    readonly url = 'https://api.example.invalid';
    constructor(name: string, args: Record<string, unknown> = {}) {
      recorder.apis.push({ name, args });
    }
    route(key: string, handler: Record<string, unknown>, args?: unknown) {
      recorder.routes.push({ key, handler, args });
    }
  }
  Object.assign(globalThis, {
    sst: { aws: { Dynamo, ApiGatewayV2, Bus, CronV2, Function: LambdaFunction }, Secret },
    $app: { name: 'compute-ledger', providers: {}, ...app },
    $interpolate: (strings: TemplateStringsArray, ...values: unknown[]) => String.raw({ raw: strings }, ...values),
    $config: (config: unknown) => config,
    $jsonStringify: (value: unknown) => JSON.stringify(value),
    aws: {
      getRegionOutput: () => ({ region: 'us-east-1' }),
      getCallerIdentityOutput: () => ({ accountId: ACCOUNT }),
      iam: { Role, RolePolicy },
      sfn: { StateMachine },
    },
  });
  return recorder;
}

/** A specifier TypeScript does not follow: the stacks use SST's globals, which only tsconfig.infra.json declares. */
async function load<T>(file: string): Promise<T> {
  return (await import(/* @vite-ignore */ pathToFileURL(resolve(root, file)).href)) as T;
}

const stateMachineArn = (stage: string) => `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:compute-ledger-${stage}-Analysis`;
const tableName = (stage: string) => `compute-ledger-${stage}-${ledgerTable.name}Table`;
const tableArn = (stage: string) => `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${tableName(stage)}`;

beforeEach(() => {
  vi.resetModules();
});

afterEach(() => {
  vi.unstubAllEnvs();
  for (const name of ['sst', '$app', '$interpolate', '$config', '$jsonStringify', 'aws'])
    delete (globalThis as Record<string, unknown>)[name];
});

describe('stacks/storage.ts', () => {
  it('builds the one table from shared/adapters/dynamo/table.ts', async () => {
    const recorder = installFakeSst({ stage: 'dev', removal: 'remove' });
    await load('stacks/storage.ts');
    expect(recorder.tables).toHaveLength(1);
    const [{ name, args }] = recorder.tables as [Recorder['tables'][number]];
    expect(name).toBe(ledgerTable.name);
    expect(args.fields).toEqual({ pk: 'string', sk: 'string', gsi1pk: 'string', gsi1sk: 'string' });
    expect(Object.keys(args.fields as object).sort()).toEqual(Object.keys(ledgerKeyAttributes).sort());
    expect(args.primaryIndex).toEqual({ hashKey: 'pk', rangeKey: 'sk' });
    expect(args.globalIndexes).toEqual({ gsi1: { hashKey: 'gsi1pk', rangeKey: 'gsi1sk', projection: 'all' } });
    expect(args.ttl).toBe('expiresAt');
    expect(args.stream).toBe('new-and-old-images');
  });

  it('leaves development tables unprotected and without point-in-time recovery', async () => {
    const recorder = installFakeSst({ stage: 'dev', removal: 'remove' });
    await load('stacks/storage.ts');
    const args = recorder.tables[0]!.args;
    expect(args.deletionProtection).toBe(false);
    const tableArgs: Record<string, unknown> = {};
    (args.transform as { table: (a: Record<string, unknown>) => void }).table(tableArgs);
    expect(tableArgs).toEqual({});
  });

  it('protects retained (production) tables and turns on point-in-time recovery', async () => {
    const recorder = installFakeSst({ stage: 'production', removal: 'retain' });
    await load('stacks/storage.ts');
    const args = recorder.tables[0]!.args;
    expect(args.deletionProtection).toBe(true);
    const tableArgs: Record<string, unknown> = {};
    (args.transform as { table: (a: Record<string, unknown>) => void }).table(tableArgs);
    expect(tableArgs).toEqual({ pointInTimeRecovery: { enabled: true } });
  });

  it('reads names from the table module instead of repeating them', () => {
    const text = source('stacks/storage.ts');
    expect(text).toMatch(/import\s*\{[^}]*\bledgerTable\b[^}]*\}\s*from\s*'\.\.\/shared\/adapters\/dynamo\/table(\.js)?'/);
    expect(text).toMatch(/ledgerKeyAttributes/);
    for (const literal of ['pk', 'sk', 'gsi1', 'gsi1pk', 'gsi1sk', 'expiresAt', 'new-and-old-images', 'Ledger']) {
      expect(text, `literal '${literal}' repeated in stacks/storage.ts`).not.toMatch(new RegExp(`['"\`]${literal}['"\`]`));
    }
  });
});

describe('stacks/api.ts', () => {
  async function deploy(stage = 'dev') {
    const recorder = installFakeSst({ stage, removal: 'remove' });
    await load('stacks/api.ts');
    return recorder;
  }

  it('creates one HTTP API without CORS or an authorizer', async () => {
    const recorder = await deploy();
    expect(recorder.apis).toHaveLength(1);
    expect(recorder.apis[0]!.args.cors).toBe(false);
    for (const route of recorder.routes) expect(route.args ?? {}, route.key).not.toHaveProperty('auth');
  });

  it('deploys exactly the routes of shared/routes.ts, each with its own handler', async () => {
    const recorder = await deploy();
    expect(recorder.routes.map((route) => route.key)).toEqual(httpRoutes.map(routeKey));
    for (const [index, route] of httpRoutes.entries()) expect(recorder.routes[index]!.handler.handler).toBe(route.handler);
  });

  it('runs every function on nodejs22.x, arm64, with bounded memory and a timeout under the API limit', async () => {
    const recorder = await deploy();
    for (const { key, handler } of recorder.routes) {
      expect(handler.runtime, key).toBe('nodejs22.x');
      expect(handler.architecture, key).toBe('arm64');
      const memory = Number(/^(\d+) MB$/.exec(String(handler.memory))?.[1]);
      expect(memory, key).toBeGreaterThanOrEqual(128);
      expect(memory, key).toBeLessThanOrEqual(2048);
      const timeout = Number(/^(\d+) seconds?$/.exec(String(handler.timeout))?.[1]);
      expect(timeout, key).toBeGreaterThan(0);
      expect(timeout, key).toBeLessThanOrEqual(29);
    }
  });

  it('passes the table name, stage and service name in the environment', async () => {
    const recorder = await deploy('staging');
    for (const { key, handler } of recorder.routes) {
      expect(handler.environment, key).toEqual({
        LEDGER_TABLE_NAME: tableName('staging'),
        LEDGER_STAGE: 'staging',
        POWERTOOLS_SERVICE_NAME: 'compute-ledger',
      });
    }
  });

  it('passes the team tag and reservation TTL of the deploying shell, so handlers read them as the analysis does', async () => {
    vi.stubEnv('LEDGER_TEAM_TAG', 'cost-center');
    vi.stubEnv('LEDGER_RESERVATION_TTL_SECONDS', '120');
    const recorder = await deploy('staging');
    for (const { key, handler } of recorder.routes) {
      expect(handler.environment, key).toEqual({
        LEDGER_TABLE_NAME: tableName('staging'),
        LEDGER_STAGE: 'staging',
        POWERTOOLS_SERVICE_NAME: 'compute-ledger',
        LEDGER_TEAM_TAG: 'cost-center',
        LEDGER_RESERVATION_TTL_SECONDS: '120',
      });
    }
  });

  it('grants each function exactly its shared/permissions.ts entry on the table ARN, never via link', async () => {
    const recorder = await deploy();
    for (const [index, route] of httpRoutes.entries()) {
      const { handler } = recorder.routes[index]!;
      expect(handler, route.handler).not.toHaveProperty('link');
      const expected = permissionsFor(route.handler).map((grant) => ({
        actions: [...grant.actions],
        resources: grant.resources.map((resource) => (resource === 'table' ? tableArn('dev') : `${tableArn('dev')}/index/*`)),
      }));
      expect(handler.permissions, route.handler).toEqual(expected);
    }
  });

  it('grants no wildcard action and no * resource', async () => {
    const recorder = await deploy();
    for (const { key, handler } of recorder.routes) {
      for (const statement of handler.permissions as Array<{ actions: string[]; resources: string[] }>) {
        for (const action of statement.actions) expect(action, key).not.toContain('*');
        for (const resource of statement.resources) {
          expect(resource, key).not.toBe('*');
          expect(resource.startsWith(tableArn('dev')), `${key}: ${resource}`).toBe(true);
        }
      }
    }
  });

  it('is generated from shared/routes.ts and shared/permissions.ts (source)', () => {
    const text = source('stacks/api.ts');
    expect(text).toMatch(/import\s*\{[^}]*\bhttpRoutes\b[^}]*\}\s*from\s*'\.\.\/shared\/routes(\.js)?'/);
    expect(text).toMatch(/import\s*\{[^}]*\bpermissionsFor\b[^}]*\}\s*from\s*'\.\.\/shared\/permissions(\.js)?'/);
    expect(text).toMatch(/for\s*\(const route of httpRoutes\)/);
    expect(text, 'IAM actions belong in shared/permissions.ts').not.toMatch(/['"`]dynamodb:/);
    expect(text).not.toMatch(/\blink\s*:/);
    expect(text).not.toMatch(/['"]\/v1\//);
  });
});

describe('stacks/jobs.ts', () => {
  async function deploy(stage = 'dev') {
    const recorder = installFakeSst({ stage, removal: 'remove' });
    await load('stacks/jobs.ts');
    return recorder;
  }
  const busName = (stage: string) => `compute-ledger-${stage}-LedgerEventsBus`;

  it('schedules exactly the jobs of shared/schedules.ts on EventBridge Scheduler, with retries', async () => {
    const recorder = await deploy();
    expect(recorder.crons.map((c) => [c.args.schedule, c.args.function.handler])).toEqual(
      scheduledJobs.map((j) => [j.expression, j.handler]),
    );
    expect(recorder.crons.map((c) => c.name)).toEqual([
      'CollectAwsCosts',
      'CollectAzureCosts',
      'CollectGcpCosts',
      'CollectPrices',
      'CollectCapacity',
      'AnalyzeHourly',
      'AnalyzeDaily',
    ]);
    for (const cron of recorder.crons) {
      expect(cron.args.retries, cron.name).toBe(2);
      expect(cron.args.schedule, cron.name).toMatch(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\((\S+ ){5}\S+\))$/);
    }
  });

  it('runs each job on nodejs22.x with its timeout and the table; collectors get the bus and the provider secrets, starters the state machine only', async () => {
    const recorder = await deploy('staging');
    for (const [i, job] of scheduledJobs.entries()) {
      const fn = recorder.crons[i]!.args.function;
      expect(fn.runtime).toBe('nodejs22.x');
      expect(fn.timeout).toBe(`${job.timeoutSeconds} seconds`);
      const common = { LEDGER_TABLE_NAME: tableName('staging'), LEDGER_STAGE: 'staging', POWERTOOLS_SERVICE_NAME: 'compute-ledger' };
      if (job.startsAnalysis) {
        expect(fn.environment, job.name).toEqual({ ...common, LEDGER_ANALYSIS_STATE_MACHINE_ARN: stateMachineArn('staging') });
      } else {
        expect(fn.environment, job.name).toMatchObject({
          ...common,
          LEDGER_EVENT_BUS_NAME: busName('staging'),
          AZURE_CLIENT_SECRET: 'secret:AzureClientSecret',
          LEDGER_GCP_BILLING_EXPORT_TABLE: 'secret:GcpBillingExportTable',
        });
      }
    }
    expect(recorder.buses).toEqual(['LedgerEvents']);
  });

  it('passes the non-secret collector settings of the deploying shell', async () => {
    vi.stubEnv('LEDGER_AWS_BILLING_ACCOUNT_ID', '111122223333');
    vi.stubEnv('LEDGER_AWS_REGIONS', 'us-east-1,eu-west-1');
    const recorder = await deploy();
    for (const [i, job] of scheduledJobs.entries()) {
      const environment = recorder.crons[i]!.args.function.environment;
      if (job.startsAnalysis) {
        expect(environment, job.name).not.toHaveProperty('LEDGER_AWS_BILLING_ACCOUNT_ID');
        continue;
      }
      expect(environment, job.name).toMatchObject({
        LEDGER_AWS_BILLING_ACCOUNT_ID: '111122223333',
        LEDGER_AWS_REGIONS: 'us-east-1,eu-west-1',
      });
      expect(environment, job.name).not.toHaveProperty('LEDGER_AWS_COST_TAGS');
    }
  });

  it('grants the table entry of each handler, PutEvents on the bus only to collectors, StartExecution only to starters, and exactly the provider actions listed', async () => {
    const recorder = await deploy();
    for (const [i, job] of scheduledJobs.entries()) {
      const statements = recorder.crons[i]!.args.function.permissions as Array<{ actions: string[]; resources: string[] }>;
      const table = permissionsFor(job.handler).map((grant) => ({
        actions: [...grant.actions],
        resources: grant.resources.map((resource) => (resource === 'table' ? tableArn('dev') : `${tableArn('dev')}/index/*`)),
      }));
      const bus = { actions: ['events:PutEvents'], resources: [`arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${busName('dev')}`] };
      const provider = job.providerActions.length ? [{ actions: [...job.providerActions], resources: ['*'] }] : [];
      const starts = { actions: ['states:StartExecution'], resources: [stateMachineArn('dev')] };
      expect(statements, job.name).toEqual([...table, job.startsAnalysis ? starts : bus, ...provider]);
      for (const statement of statements) for (const action of statement.actions) expect(action, job.name).not.toMatch(/\*/);
    }
  });

  it('gives every scheduled handler a file that exports handler', () => {
    for (const job of scheduledJobs) {
      const file = `${job.handler.slice(0, job.handler.lastIndexOf('.'))}.ts`;
      expect(() => source(file), file).not.toThrow();
      expect(source(file), file).toMatch(/export const handler\b/);
    }
  });
});

describe('stacks/workflows.ts', () => {
  async function deploy(stage = 'dev') {
    const recorder = installFakeSst({ stage, removal: 'remove' });
    const { analysisStateMachine } =
      await load<typeof import('../../stacks/analysis-state-machine.js')>('stacks/analysis-state-machine.ts');
    await load('stacks/jobs.ts');
    return { recorder, analysisStateMachine };
  }
  const functionArn = (stage: string, task: string) =>
    `arn:aws:lambda:us-east-1:${ACCOUNT}:function:compute-ledger-${stage}-Analysis${task}Function`;

  it('deploys one function per task of shared/workflow-tasks.ts, on nodejs22.x, with its table grants and PutEvents only where it publishes', async () => {
    const { recorder } = await deploy();
    expect(recorder.functions.map((f) => f.name)).toEqual(workflowTasks.map((t) => `Analysis${t.name}`));
    for (const [i, task] of workflowTasks.entries()) {
      const args = recorder.functions[i]!.args;
      expect(args.handler, task.name).toBe(task.handler);
      expect(args.runtime, task.name).toBe('nodejs22.x');
      expect(args.timeout, task.name).toBe(`${task.timeoutSeconds} seconds`);
      expect(source(`${task.handler.slice(0, task.handler.lastIndexOf('.'))}.ts`), task.name).toMatch(/export const handler\b/);
      const table = permissionsFor(task.handler).map((grant) => ({
        actions: [...grant.actions],
        resources: grant.resources.map((resource) => (resource === 'table' ? tableArn('dev') : `${tableArn('dev')}/index/*`)),
      }));
      const bus = task.publishes
        ? [
            {
              actions: ['events:PutEvents'],
              resources: [`arn:aws:events:us-east-1:${ACCOUNT}:event-bus/compute-ledger-dev-LedgerEventsBus`],
            },
          ]
        : [];
      expect(args.permissions, task.name).toEqual([...table, ...bus]);
      expect(args.environment, task.name).toMatchObject({
        LEDGER_TABLE_NAME: tableName('dev'),
        LEDGER_STAGE: 'dev',
        LEDGER_EVENT_BUS_NAME: 'compute-ledger-dev-LedgerEventsBus',
      });
    }
  });

  it('deploys the ASL definition of stacks/analysis-state-machine.ts with the functions ARNs, a standard state machine', async () => {
    const { recorder, analysisStateMachine } = await deploy();
    expect(recorder.stateMachines).toHaveLength(1);
    const [machine] = recorder.stateMachines as [Recorder['stateMachines'][number]];
    expect(machine.name).toBe('Analysis');
    expect(machine.args.type).toBe('STANDARD');
    const arns = Object.fromEntries(workflowTasks.map((t) => [t.name, functionArn('dev', t.name)]));
    expect(JSON.parse(machine.args.definition)).toEqual(analysisStateMachine(arns as never));
    expect(machine.args.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/AnalysisStateMachineRole`);
  });

  it('lets the state machine role invoke those functions and nothing else, and only Step Functions assume it', async () => {
    const { recorder } = await deploy();
    expect(JSON.parse(recorder.roles[0]!.args.assumeRolePolicy)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(recorder.rolePolicies).toHaveLength(1);
    const policy = JSON.parse(recorder.rolePolicies[0]!.args.policy) as {
      Statement: { Effect: string; Action: string[]; Resource: string[] }[];
    };
    expect(policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: workflowTasks.flatMap((t) => [functionArn('dev', t.name), `${functionArn('dev', t.name)}:*`]),
      },
    ]);
  });

  it('starts the state machine from the hourly and daily schedules with the mode as the event', async () => {
    const { recorder } = await deploy();
    const starters = recorder.crons.filter((c) => c.args.function.handler === 'functions/cron/start-analysis.handler');
    expect(starters.map((c) => [c.name, c.args.schedule, (c.args as { event?: unknown }).event])).toEqual([
      ['AnalyzeHourly', 'cron(5 * * * ? *)', { mode: 'hourly' }],
      ['AnalyzeDaily', 'cron(15 0 * * ? *)', { mode: 'daily' }],
    ]);
    for (const c of starters)
      expect(c.args.function.environment).toMatchObject({ LEDGER_ANALYSIS_STATE_MACHINE_ARN: stateMachineArn('dev') });
  });
});

describe('stacks/notifications.ts', () => {
  async function deploy(stage = 'dev') {
    const recorder = installFakeSst({ stage, removal: 'remove' });
    await load('stacks/notifications.ts');
    return recorder;
  }
  const handler = 'functions/subscribers/notify.handler';

  it('subscribes one notifier to the ledger bus for the four analysis detail-types of the ledger source', async () => {
    const recorder = await deploy();
    expect(recorder.buses).toEqual(['LedgerEvents']);
    expect(recorder.subscriptions).toHaveLength(1);
    const [subscription] = recorder.subscriptions as [Recorder['subscriptions'][number]];
    expect(subscription.bus).toBe('compute-ledger-dev-LedgerEventsBus');
    expect(subscription.name).toBe('Notifier');
    expect(subscription.subscriber.handler).toBe(handler);
    expect(subscription.args.pattern).toEqual({
      source: ['compute-ledger'],
      detailType: ['signal.raised', 'budget.breached', 'anomaly.detected', 'digest.ready'],
    });
    expect(source('functions/subscribers/notify.ts')).toMatch(/export const handler\b/);
  });

  it('runs on nodejs22.x with the table, the stage, the Slack and SMTP secrets and the email settings of the deploying shell', async () => {
    vi.stubEnv('LEDGER_EMAIL_FROM', 'finops@example.com');
    vi.stubEnv('LEDGER_EMAIL_TO', 'a@example.com,b@example.com');
    const recorder = await deploy('staging');
    const fn = recorder.subscriptions[0]!.subscriber;
    expect(fn.runtime).toBe('nodejs22.x');
    expect(fn.architecture).toBe('arm64');
    expect(fn.timeout).toBe('90 seconds');
    expect(fn).not.toHaveProperty('link');
    expect(fn.environment).toEqual({
      LEDGER_TABLE_NAME: tableName('staging'),
      LEDGER_STAGE: 'staging',
      POWERTOOLS_SERVICE_NAME: 'compute-ledger',
      LEDGER_SLACK_WEBHOOK_URL: 'secret:SlackWebhookUrl',
      LEDGER_SLACK_TEAM_WEBHOOKS: 'secret:SlackTeamWebhooks',
      LEDGER_SMTP_URL: 'secret:SmtpUrl',
      LEDGER_EMAIL_FROM: 'finops@example.com',
      LEDGER_EMAIL_TO: 'a@example.com,b@example.com',
    });
    expect(recorder.secrets).toEqual(expect.arrayContaining(['SlackWebhookUrl', 'SlackTeamWebhooks', 'SmtpUrl']));
  });

  it('leaves email settings out when the deploying shell has none', async () => {
    const recorder = await deploy();
    expect(recorder.subscriptions[0]!.subscriber.environment).not.toHaveProperty('LEDGER_EMAIL_FROM');
    expect(recorder.subscriptions[0]!.subscriber.environment).not.toHaveProperty('LEDGER_EMAIL_TO');
  });

  it('grants the notifier its shared/permissions.ts entry on the table and SES sending as the account identities only', async () => {
    const recorder = await deploy();
    const statements = recorder.subscriptions[0]!.subscriber.permissions as Array<{ actions: string[]; resources: string[] }>;
    expect(permissionsFor(handler).flatMap((grant) => grant.actions)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
    ]);
    expect(statements).toEqual([
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: [tableArn('dev')] },
      { actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources: [`arn:aws:ses:us-east-1:${ACCOUNT}:identity/*`] },
    ]);
    for (const statement of statements) {
      for (const action of statement.actions) expect(action).not.toContain('*');
      for (const resource of statement.resources) expect(resource).not.toBe('*');
    }
  });
});

describe('sst.config.ts', () => {
  interface AppConfig {
    name: string;
    home: string;
    removal: string;
    protect: boolean;
    providers: { aws: Record<string, unknown> };
  }
  interface SstConfig {
    app(input: { stage: string }): AppConfig;
    run(): Promise<Record<string, unknown>>;
  }

  async function loadConfig(stage = 'dev'): Promise<SstConfig> {
    installFakeSst({ stage, removal: 'remove' });
    return (await load<{ default: SstConfig }>('sst.config.ts')).default;
  }

  it('names the app and keeps its state in AWS', async () => {
    const config = await loadConfig();
    const app = config.app({ stage: 'dev' });
    expect(app.name).toBe('compute-ledger');
    expect(app.home).toBe('aws');
  });

  it('retains and protects production', async () => {
    vi.stubEnv('LEDGER_PRODUCTION_ROLE_ARN', '');
    const app = (await loadConfig()).app({ stage: 'production' });
    expect(app.removal).toBe('retain');
    expect(app.protect).toBe(true);
    expect(app.providers.aws).toEqual({ region: 'us-east-1', profile: 'compute-ledger-production' });
  });

  it('assumes the production role when CI names one', async () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/compute-ledger-deploy`;
    vi.stubEnv('LEDGER_PRODUCTION_ROLE_ARN', role);
    const app = (await loadConfig()).app({ stage: 'production' });
    expect(app.providers.aws).toEqual({ region: 'us-east-1', assumeRoles: [{ roleArn: role, sessionName: 'compute-ledger-production' }] });
  });

  it('removes staging and personal stages completely; personal stages use AWS_PROFILE', async () => {
    vi.stubEnv('LEDGER_STAGING_ROLE_ARN', '');
    vi.stubEnv('AWS_PROFILE', 'alice-sandbox');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    const config = await loadConfig();
    const staging = config.app({ stage: 'staging' });
    expect(staging).toMatchObject({ removal: 'remove', protect: false });
    expect(staging.providers.aws).toEqual({ region: 'us-east-1', profile: 'compute-ledger-staging' });
    const personal = config.app({ stage: 'alice' });
    expect(personal).toMatchObject({ removal: 'remove', protect: false });
    expect(personal.providers.aws).toEqual({ region: 'eu-west-1', profile: 'alice-sandbox' });
  });

  it('run() builds the stacks and returns the API URL and table name', async () => {
    const config = await loadConfig('dev');
    expect(await config.run()).toEqual({
      analysisStateMachineArn: stateMachineArn('dev'),
      apiUrl: 'https://api.example.invalid',
      tableName: tableName('dev'),
    });
  });

  it('run() only imports ./stacks/* (source)', () => {
    const text = source('sst.config.ts');
    expect(text.startsWith('/// <reference path="./.sst/platform/config.d.ts" />')).toBe(true);
    const imports = [...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((match) => match[1]);
    expect(imports.length).toBeGreaterThanOrEqual(2);
    for (const specifier of imports) expect(specifier).toMatch(/^\.\/stacks\/[a-z-]+(\.js)?$/);
    expect(text).not.toMatch(/new sst\./);
    expect(text).not.toMatch(/^import /m);
  });
});
