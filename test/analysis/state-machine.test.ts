import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { runningTask } from '../../local/analysis-runner.js';
import { invokeJob } from '../../local/scheduler.js';
import { localBus } from '../../shared/adapters/events.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { keyedFocusRecord } from '../../shared/domain/costs/focus.js';
import { permissionsFor } from '../../shared/permissions.js';
import { scheduledJobs } from '../../shared/schedules.js';
import { focusRecord } from '../support/focus.js';
import { gpuPricePoint } from '../support/prices.js';
import { useTestLedger } from '../support/ledger.js';

/**
 * The analysis state machine run locally end to end: the deployed ASL definition, interpreted by
 * aws-local-stepfunctions, every task bound to its Lambda handler, over DynamoDB Local.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const yesterday = today - DAY;
const date = new Date(yesterday).toISOString().slice(0, 10);
/** The daily run for yesterday: it rolls up yesterday's last three hours. */
const at = new Date(today + 15 * 60_000).toISOString();

const { ledger, api } = useTestLedger();
let failSummaryOnce = true;
/** DynamoDB actions each task's handler called, with the resource kind, as IAM would see them. */
const calledByTask = new Map<string, Set<string>>();

function hostBatch(hostId: string, pool: string, instanceId: string, smActive: number) {
  const samples = [];
  for (let m = 0; m < 180; m++) {
    for (let gpu = 0; gpu < 8; gpu++) {
      samples.push({
        time: new Date(today - 3 * HOUR + m * 60_000).toISOString(),
        gpu: { index: gpu, uuid: `GPU-${hostId}-${gpu}`, model: 'NVIDIA H100 80GB HBM3' },
        fields: { DCGM_FI_PROF_SM_ACTIVE: smActive, DCGM_FI_DEV_GPU_UTIL: 100, DCGM_FI_DEV_POWER_USAGE: 500 },
      });
    }
  }
  return {
    batchId: `e2e-${hostId}`,
    host: { hostId, instanceId, instanceType: 'p5.48xlarge', provider: 'aws', region: 'us-east-1', pool },
    samples,
  };
}

/**
 * A Kubernetes host of 8 H100s for the same 3 hours: pod research/train-e2e (job ft-e2e, epochs 0, 1, 2) busy at SM
 * active 0.8 on GPUs 0-3, and pod research/notebook-e2e holding GPUs 4-7 idle with 40 GB in use each.
 */
function kubernetesHostBatch() {
  const samples = [];
  for (let m = 0; m < 180; m++) {
    for (let gpu = 0; gpu < 8; gpu++) {
      const training = gpu < 4;
      samples.push({
        time: new Date(today - 3 * HOUR + m * 60_000).toISOString(),
        gpu: { index: gpu, uuid: `GPU-e2e-host-3-${gpu}`, model: 'NVIDIA H100 80GB HBM3' },
        fields: {
          DCGM_FI_PROF_SM_ACTIVE: training ? 0.8 : 0,
          DCGM_FI_DEV_GPU_UTIL: training ? 100 : 0,
          DCGM_FI_DEV_FB_USED: training ? 60_000 : 40_000,
        },
        workload: training
          ? { namespace: 'research', pod: 'train-e2e', job: 'ft-e2e', epoch: Math.floor(m / 60) }
          : { namespace: 'research', pod: 'notebook-e2e' },
      });
    }
  }
  return {
    batchId: 'e2e-host-3',
    host: {
      hostId: 'e2e-host-3',
      instanceId: 'i-0e2e00000000003',
      instanceType: 'p5.48xlarge',
      provider: 'aws',
      region: 'us-east-1',
      pool: 'research-k8s',
    },
    samples,
  };
}

beforeAll(async () => {
  ledgerDependencies().db.middlewareStack.add(
    (next, context) => async (args) => {
      const task = runningTask.getStore();
      if (task) {
        const action = `dynamodb:${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
        const onIndex = (args.input as { IndexName?: string }).IndexName !== undefined;
        const calls = calledByTask.get(task.handler) ?? new Set<string>();
        calls.add(`${action} ${onIndex ? 'tableIndexes' : 'table'}`);
        calledByTask.set(task.handler, calls);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordTaskCalls' },
  );
  // Lambda's own transient failure has no local form: the first SummarizeEconomics call fails as Lambda would.
  ledger().analysis.options.fault = (state: string) => {
    if (state === 'SummarizeEconomics' && failSummaryOnce) {
      failSummaryOnce = false;
      return Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
    }
    return undefined;
  };
  for (const [host, pool, instance, sm] of [
    ['e2e-host-1', 'inference-a', 'i-0e2e00000000001', 0.4],
    ['e2e-host-2', 'training-b', 'i-0e2e00000000002', 0.9],
  ] as const) {
    const response = await api('POST', '/v1/measurements', { body: hostBatch(host, pool, instance, sm), gzip: true });
    expect(response.status).toBe(202);
  }
  expect((await api('POST', '/v1/measurements', { body: kubernetesHostBatch(), gzip: true })).status).toBe(202);
  const deps = ledgerDependencies();
  const day = { ChargePeriodStart: `${date}T00:00:00Z`, ChargePeriodEnd: `${new Date(today).toISOString().slice(0, 10)}T00:00:00Z` };
  await deps.costs.putRecords('e2e-run', [
    keyedFocusRecord(
      'aws',
      focusRecord({
        ...day,
        ResourceId: 'i-0e2e00000000001',
        EffectiveCost: '384',
        BilledCost: '384',
        ConsumedQuantity: '24',
        ConsumedUnit: 'Hrs',
        x_GpuCount: 8,
        Tags: { team: 'search' },
      }),
    ),
    keyedFocusRecord(
      'aws',
      focusRecord({
        ...day,
        ResourceId: 'i-0e2e00000000002',
        EffectiveCost: '300',
        BilledCost: '300',
        ConsumedQuantity: '24',
        ConsumedUnit: 'Hrs',
        x_GpuCount: 8,
      }),
    ),
    keyedFocusRecord(
      'aws',
      focusRecord({
        ...day,
        ResourceId: 'i-0e2e00000000003',
        EffectiveCost: '240',
        BilledCost: '240',
        ConsumedQuantity: '24',
        ConsumedUnit: 'Hrs',
        x_GpuCount: 8,
      }),
    ),
    keyedFocusRecord(
      'aws',
      focusRecord({
        ...day,
        ServiceName: 'Amazon Simple Storage Service',
        ServiceCategory: 'Storage',
        EffectiveCost: '12.5',
        BilledCost: '12.5',
      }),
    ),
  ]);
  // A cheaper offer of the same GPU elsewhere, so the signals step raises (and stores, and alerts) a move.
  await deps.prices.putPoints([
    gpuPricePoint({ region: 'us-west-2', pricePerHour: '12', pricePerGpuHour: '1.5', observedAt: new Date(yesterday).toISOString() }),
  ]);
  // A budget the day's spend breaks, so the budget step claims and publishes a breach.
  expect(
    (await api('POST', '/v1/budgets', { body: { name: 'AWS daily', scope: { provider: 'aws' }, amount: '100', period: 'daily' } })).status,
  ).toBe(201);
  // A pool whose stored minute is corrupt: its Map iteration fails, is caught, and the others go on.
  const minute = today - 2 * HOUR;
  await deps.db.send(
    new PutCommand({
      TableName: ledger().tableName,
      Item: {
        pk: 'HOST#e2e-bad',
        sk: `MIN#${String(minute).padStart(13, '0')}`,
        gsi1pk: `ROLLUP#${date}`,
        gsi1sk: `POOL#broken#HOST#e2e-bad#${String(minute).padStart(13, '0')}`,
        hostId: 'e2e-bad',
        m: minute,
        v: 1,
        h: '{}',
        g: '{not json',
      },
    }),
  );
}, 120_000);

describe('the analysis state machine, run locally', () => {
  it('fans out over pools, retries a throttled task, catches the failing pool, and records the run as partial', async () => {
    const job = scheduledJobs.find((j) => j.name === 'analyze-daily')!;
    const started = (await invokeJob(job, { mode: 'daily', at })) as { executionName: string; alreadyStarted: boolean };
    expect(started).toMatchObject({ executionName: `daily-${new Date(today).toISOString().slice(0, 10)}`, alreadyStarted: false });
    const execution = ledger().analysis.executions.at(-1)!;
    expect(execution.status).toBe('SUCCEEDED');

    const output = execution.output as {
      run: { status: string };
      plan: { date: string; pools: { pool: string }[] };
      pools: { pool: string; status: string; error?: string }[];
      assessments: { step: string; status: string }[];
    };
    expect(output.plan.date).toBe(date);
    expect(output.run.status).toBe('partial');
    expect(output.plan.pools.map((p) => p.pool)).toEqual(['broken', 'inference-a', 'research-k8s', 'training-b']);
    expect(output.pools).toEqual([
      { pool: 'broken', status: 'failed', error: 'SyntaxError', cause: expect.stringContaining('JSON') },
      { pool: 'inference-a', status: 'ok', hosts: 1, hostHours: 3 },
      { pool: 'research-k8s', status: 'ok', hosts: 1, hostHours: 3 },
      { pool: 'training-b', status: 'ok', hosts: 1, hostHours: 3 },
    ]);
    expect(
      localBus.published.filter((e) => e.name === 'signal.raised').map((e) => (e.detail as { type: string; subject: string }).type),
    ).toContain('move');
    expect(localBus.published.some((e) => e.name === 'budget.breached' && (e.detail as { name: string }).name === 'AWS daily')).toBe(true);
    // The notebook held 4 GPUs idle for the 3 hours seen: $15 of idle-held cost is $15 × 730 / 3 = $3,650.00 a month.
    const reclaim = localBus.published
      .filter((e) => e.name === 'signal.raised' && (e.detail as { type: string }).type === 'reclaim')
      .map((e) => e.detail);
    expect(reclaim).toEqual([
      expect.objectContaining({ title: 'Reclaim 4 GPUs held idle by pod research/notebook-e2e', monthlyImpact: '3650.00' }),
    ]);
    expect(output.assessments.map((a) => [a.step, a.status])).toEqual([
      ['RaiseSignals', 'ok'],
      ['EvaluateBudgets', 'ok'],
      ['DetectAnomalies', 'ok'],
    ]);

    const retried = execution.events.filter((e) => e.type === 'StateRetried').map((e) => e.state);
    expect(retried).toEqual(['SummarizeEconomics']);
    const caught = execution.events.filter((e) => e.type === 'StateCaught').map((e) => e.state);
    expect(caught).toEqual(['RollupPool']);

    const runs = await api('GET', '/v1/analysis-runs');
    expect(runs.status).toBe(200);
    expect(runs.body.runs[0]).toMatchObject({ mode: 'daily', date, status: 'partial', executionId: execution.executionId });
    expect(runs.body.runs[0].pools.find((p: { pool: string }) => p.pool === 'broken')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^SyntaxError: /),
    });
  }, 120_000);

  it('stores unit economics joined to the bills, with what cannot be joined unallocated', async () => {
    const window = `period=day&from=${date}&to=${new Date(today).toISOString().slice(0, 10)}`;
    const response = await api('GET', `/v1/unit-economics?${window}`);
    expect(response.status).toBe(200);
    type Row = {
      scopeKind: string;
      scope: string;
      cost: string;
      paidGpuHours: number;
      effectiveGpuHours: number;
      idleCost: string;
      costPerEffectiveGpuHour: string | null;
    };
    const rows = response.body.rows as Row[];
    // Host rows come only when asked for: a fleet-wide answer stays the size of its pools and teams.
    expect(rows.some((r) => r.scopeKind === 'host')).toBe(false);
    expect(response.body.nextCursor).toBeNull();
    const hosts = await api('GET', `/v1/unit-economics?${window}&scopeKind=host`);
    const host1 = (hosts.body.rows as Row[]).find((r) => r.scope === 'e2e-host-1')!;
    // Billed 24 h × 8 GPUs = 192 GPU-hours; measured 3 h × 8 GPUs at SM active 0.4 = 9.6 effective.
    expect(host1).toMatchObject({
      cost: '384',
      paidGpuHours: 192,
      effectiveGpuHours: 9.6,
      idleCost: '364.8',
      costPerEffectiveGpuHour: '40',
    });
    const team = rows.find((r) => r.scopeKind === 'team' && r.scope === 'search')!;
    expect(team.cost).toBe('384');
    expect(rows.find((r) => r.scopeKind === 'unallocated')).toMatchObject({ scope: 'AWS Amazon Simple Storage Service', cost: '12.5' });
    expect(rows.find((r) => r.scopeKind === 'fleet')).toMatchObject({ cost: '936.5', paidGpuHours: 576 });
    // Pod and job rows come only when asked for; namespaces come with the pools and teams.
    expect(rows.some((r) => r.scopeKind === 'pod' || r.scopeKind === 'job')).toBe(false);
    // research-k8s: $240 over 192 paid GPU-hours is $1.25 a GPU-hour; each pod used 4 GPUs × 3 h = 12 GPU-hours, $15.
    expect(rows.find((r) => r.scopeKind === 'namespace' && r.scope === 'research')).toMatchObject({
      cost: '30',
      paidGpuHours: 24,
      effectiveGpuHours: 9.6,
      idleHeldCost: '15',
    });
    const pods = (await api('GET', `/v1/unit-economics?${window}&scopeKind=pod`)).body.rows as (Row & {
      idleHeldGpuHours: number;
      idleHeldCost: string;
    })[];
    expect(pods.map((r) => [r.scope, r.cost, r.paidGpuHours, r.effectiveGpuHours, r.idleHeldGpuHours, r.idleHeldCost])).toEqual([
      ['research/notebook-e2e', '15', 12, 0, 12, '15'],
      ['research/train-e2e', '15', 12, 9.6, 0, '0'],
    ]);
    // Epochs 0 → 2 reported during the day: 2 epochs, $7.50 each.
    const job = await api('GET', `/v1/unit-economics?${window}&scopeKind=job&scope=ft-e2e`);
    expect(job.body.rows).toEqual([expect.objectContaining({ scope: 'ft-e2e', cost: '15', epochs: 2, costPerEpoch: '7.5' })]);
    // The same pod rows as CSV, for chargeback.
    const csv = await api('GET', `/v1/unit-economics/export?${window}&scopeKind=pod`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const [header, ...lines] = csv.text.trimEnd().split('\r\n');
    const columns = header!.split(',');
    expect(
      lines.map((l) => {
        const c = l.split(',');
        return [c[columns.indexOf('scope')], c[columns.indexOf('cost')], c[columns.indexOf('idleHeldCost')]];
      }),
    ).toEqual([
      ['research/notebook-e2e', '15', '15'],
      ['research/train-e2e', '15', '0'],
    ]);

    // Pages: the same rows, in order, two at a time.
    const paged: Row[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { rows: Row[]; nextCursor: string | null } } = await api(
        'GET',
        `/v1/unit-economics?${window}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.rows.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.rows);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(rows);
  });

  it('builds the digest with the failed scope and announces it once', async () => {
    const digest = await ledgerDependencies().digests.getDigest(date);
    expect(digest?.totals.current).toBe('936.5');
    expect(digest?.spendByProvider).toEqual([{ provider: 'AWS', current: '936.5', previous: '0', changePercent: null }]);
    expect(digest?.failedScopes).toEqual([{ scope: 'pool broken', error: expect.stringMatching(/^SyntaxError: /) }]);
    expect(digest?.chart.at(-1)).toEqual({ date, spend: '936.5', effectiveUtilization: expect.any(Number) });
    const announced = localBus.published.filter((e) => e.name === 'digest.ready' && (e.detail as { date: string }).date === date);
    expect(announced).toHaveLength(1);
  });

  it("runs hourly over the restated days, with the signals reading the daily run's 30-day observations", async () => {
    await ledger().analysis.start('hourly-after-daily', { mode: 'hourly', at });
    const execution = ledger().analysis.executions.at(-1)!;
    expect(execution.status).toBe('SUCCEEDED');
    const output = execution.output as {
      plan: { mode: string; date: string };
      assessments: { step: string; detail: Record<string, unknown> }[];
      digest?: unknown;
      run: { status: string };
    };
    expect(output.plan).toMatchObject({ mode: 'hourly', date });
    expect(output.assessments[0]).toMatchObject({ step: 'RaiseSignals', detail: { observations: date, pools: 3, gpus: 24, workloads: 1 } });
    expect(output.digest).toBeUndefined(); // the Choice skips the digest on hourly runs
    expect(output.run.status).toBe('partial'); // the corrupt pool is still there
  });

  it('does not start the same scheduled slot twice', async () => {
    const job = scheduledJobs.find((j) => j.name === 'analyze-daily')!;
    const before = ledger().analysis.executions.length;
    const again = (await invokeJob(job, { mode: 'daily', at })) as { alreadyStarted: boolean };
    expect(again.alreadyStarted).toBe(true);
    expect(ledger().analysis.executions.length).toBe(before);
  });

  it('fails the execution when a step outside the caught scopes keeps failing, and records why', async () => {
    ledger().analysis.options.fault = (state: string) =>
      state === 'PlanAnalysis' ? Object.assign(new Error('Service unavailable'), { name: 'Lambda.ServiceException' }) : undefined;
    await ledger().analysis.start('hourly-failing', { mode: 'hourly', at });
    const execution = ledger().analysis.executions.at(-1)!;
    expect(execution.status).toBe('FAILED');
    expect(execution.error?.name).toBe('AnalysisFailed');
    // MaxAttempts 3: the first attempt and three retries, then caught and recorded.
    expect(execution.events.filter((e) => e.type === 'StateRetried' && e.state === 'PlanAnalysis')).toHaveLength(3);
    const runs = await api('GET', '/v1/analysis-runs?limit=1');
    expect(runs.body.runs[0]).toMatchObject({
      status: 'failed',
      steps: [{ step: 'PlanAnalysis', status: 'failed', error: 'Lambda.ServiceException: Service unavailable' }],
    });
  });
});

describe('least privilege, checked against what the tasks really did', () => {
  it('each task called only DynamoDB actions its permission profile grants, on the resources it grants them', () => {
    expect([...calledByTask.keys()].sort()).toEqual([
      'functions/workflow/build-digest.handler',
      'functions/workflow/detect-anomalies.handler',
      'functions/workflow/evaluate-budgets.handler',
      'functions/workflow/plan-analysis.handler',
      'functions/workflow/raise-signals.handler',
      'functions/workflow/record-analysis.handler',
      'functions/workflow/rollup-pool.handler',
      'functions/workflow/summarize-economics.handler',
    ]);
    for (const [handler, calls] of calledByTask) {
      if (process.env.LEDGER_PRINT_TASK_CALLS) process.stdout.write(`${handler}: ${[...calls].sort().join(', ')}\n`);
      const granted = new Set(
        permissionsFor(handler).flatMap((grant) =>
          grant.actions.flatMap((action) => grant.resources.map((resource) => `${action} ${resource}`)),
        ),
      );
      for (const call of calls) expect(granted.has(call), `${handler} called ${call}`).toBe(true);
    }
  });
});

describe('GET /v1/unit-economics and /v1/analysis-runs refuse bad queries, naming the field', () => {
  it.each([
    ['/v1/unit-economics?period=week', 'period'],
    ['/v1/unit-economics?from=2026-13-01', 'from'],
    ['/v1/unit-economics?from=2026-11-10&to=2026-11-01', 'to'],
    ['/v1/unit-economics?from=2026-01-01&to=2026-11-01', 'to'],
    ['/v1/unit-economics?scope=gpu-a', 'scope'],
    ['/v1/unit-economics?scopeKind=galaxy', 'scopeKind'],
    ['/v1/unit-economics?period=hour&from=2026-11-01&to=2026-11-04', 'to'],
    ['/v1/unit-economics?cursor=not-a-cursor', 'cursor'],
    ['/v1/unit-economics?limit=5001', 'limit'],
    ['/v1/unit-economics/export?format=xlsx', 'format'],
    ['/v1/unit-economics/export?scopeKind=cluster', 'scopeKind'],
    ['/v1/analysis-runs?limit=0', 'limit'],
    ['/v1/analysis-runs?limit=abc', 'limit'],
  ])('%s → 400 naming %s', async (path, field) => {
    const response = await api('GET', path);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(response.body.error.message).toContain(field);
  });

  it('answers 401 without a token', async () => {
    expect((await api('GET', '/v1/unit-economics', { token: null })).status).toBe(401);
  });
});
