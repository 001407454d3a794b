import '../../local/local-logging.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '../../shared/config.js';
import { resetLedgerDependencies } from '../../shared/dependencies.js';
import type { CollectorRun } from '../../shared/domain/providers/collector-runs.js';
import { scheduledJobs } from '../../shared/schedules.js';
import { localProviderEnvironment } from '../../local/provider-environment.js';
import { type LocalProviders, startLocalProviders } from '../../local/providers/index.js';
import type { LedgerRuntime } from '../../local/runtime.js';
import { invokeJob, scheduleIntervalMs, startLocalSchedule } from '../../local/scheduler.js';
import { apiClient, startTestLedger } from '../support/ledger.js';

const job = (name: string) => scheduledJobs.find((j) => j.name === name)!;

describe('schedule expressions', () => {
  it('reads the period of every scheduled job', () => {
    expect(Object.fromEntries(scheduledJobs.map((j) => [j.name, scheduleIntervalMs(j.expression) / 3_600_000]))).toEqual({
      'collect-aws-costs': 6,
      'collect-azure-costs': 6,
      'collect-gcp-costs': 6,
      'collect-prices': 1,
      'collect-capacity': 1,
      'analyze-hourly': 1,
      'analyze-daily': 24,
    });
    expect(scheduleIntervalMs('rate(15 minutes)')).toBe(900_000);
    expect(scheduleIntervalMs('cron(0 4 * * ? *)')).toBe(86_400_000);
    expect(() => scheduleIntervalMs('every hour')).toThrow(/Not a schedule expression/);
  });
});

describe('scheduled handlers on the local clock', () => {
  let ledger: LedgerRuntime;
  let providers: LocalProviders;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    ledger = await startTestLedger();
    api = apiClient(ledger);
    providers = await startLocalProviders();
    // The handlers read the configuration from the environment, like Lambda.
    Object.assign(process.env, localProviderEnvironment(providers));
    resetConfig();
    resetLedgerDependencies();
  });
  afterAll(async () => {
    await providers?.stop();
    await ledger?.stop();
  });

  it('collects a payload’s period through the scheduled handler', async () => {
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000;
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const result = (await invokeJob(job('collect-gcp-costs'), { from: iso(day), to: iso(day + 86_400_000) })) as { runs: CollectorRun[] };
    expect(result.runs).toEqual([
      expect.objectContaining({ collector: 'gcp-costs', status: 'ok', rows: 6, periodStart: iso(day), periodEnd: iso(day + 86_400_000) }),
    ]);
  });

  it('refuses a payload with a bad period, naming the field', async () => {
    await expect(invokeJob(job('collect-aws-costs'), { from: '2026-11-20' })).rejects.toThrow(
      /payload: from: give both from and to, or neither/,
    );
  });

  it('runs each job again on its interval', async () => {
    const schedule = startLocalSchedule({
      everyMs: 50,
      jobs: [job('collect-capacity')],
      onError: (_, error) => expect.fail(String(error)),
    });
    try {
      let runs: CollectorRun[] = [];
      for (let attempt = 0; attempt < 200 && runs.length < 2; attempt++) {
        await new Promise((r) => setTimeout(r, 100));
        runs = (await api('GET', '/v1/collector-runs?collector=aws-capacity')).body.runs;
      }
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs.every((r) => r.status === 'ok' && r.rows === 65)).toBe(true);
    } finally {
      schedule.stop();
    }
  });
});
