import { describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../../events/define.js';
import type { CollectorRun } from '../../domain/providers/collector-runs.js';
import { runCollector, type RunDependencies } from './run-collector.js';

function deps() {
  const runs: CollectorRun[] = [];
  const events: LedgerEvent[] = [];
  const warnings: string[] = [];
  let t = Date.parse('2026-11-20T06:00:00Z');
  const d: RunDependencies = {
    putRun: async (r) => void runs.push(r),
    publish: async (e) => void events.push(...e),
    now: () => new Date((t += 250)),
    warn: (m, details) => void warnings.push(`${m} ${JSON.stringify(details)}`),
  };
  return { d, runs, events, warnings };
}

const spec = { collector: 'aws-costs', provider: 'aws', periodStart: '2026-11-01', periodEnd: '2026-11-20', configured: true } as const;

describe('runCollector', () => {
  it('records an ok run with rows, pages, duration and totals', async () => {
    const { d, runs, events } = deps();
    const run = await runCollector(d, spec, async (p) => {
      p.page();
      p.rows(100);
      p.page();
      p.rows(20);
      return { totals: [{ currency: 'USD', billedCost: '10.5', effectiveCost: '9' }] };
    });
    expect(run).toMatchObject({ status: 'ok', rows: 120, pages: 2, durationMs: 250, collector: 'aws-costs', provider: 'aws' });
    expect(run.totals).toEqual([{ currency: 'USD', billedCost: '10.5', effectiveCost: '9' }]);
    expect(runs).toEqual([run]);
    expect(events).toEqual([]);
  });

  it('records a partial run when parts failed, without an event', async () => {
    const { d, events } = deps();
    const run = await runCollector(d, spec, async (p) => {
      p.rows(5);
      return { failures: ['account 2222: AccessDenied'] };
    });
    expect(run).toMatchObject({ status: 'partial', rows: 5, failures: ['account 2222: AccessDenied'] });
    expect(events).toEqual([]);
  });

  it('records a failed run with what it wrote so far and publishes collector.failed', async () => {
    const { d, runs, events } = deps();
    const run = await runCollector(d, spec, async (p) => {
      p.page();
      p.rows(7);
      throw new Error('Cost Explorer answered 500 five times');
    });
    expect(run).toMatchObject({ status: 'failed', rows: 7, pages: 1, error: 'Cost Explorer answered 500 five times' });
    expect(runs).toHaveLength(1);
    expect(events).toEqual([
      {
        name: 'collector.failed',
        detail: {
          runId: run.runId,
          collector: 'aws-costs',
          provider: 'aws',
          periodStart: '2026-11-01',
          periodEnd: '2026-11-20',
          error: 'Cost Explorer answered 500 five times',
          at: expect.any(String),
        },
      },
    ]);
  });

  it('records not-configured without running, and warns only once per collector', async () => {
    const { d, runs, warnings } = deps();
    let ran = false;
    const notConfigured = {
      ...spec,
      collector: 'azure-costs',
      provider: 'azure',
      configured: { missing: 'LEDGER_AZURE_SUBSCRIPTIONS' },
    } as const;
    for (let i = 0; i < 3; i++) await runCollector(d, notConfigured, async () => ((ran = true), {}));
    expect(ran).toBe(false);
    expect(runs.map((r) => r.status)).toEqual(['not-configured', 'not-configured', 'not-configured']);
    expect(runs[0]!.error).toBe('not configured: LEDGER_AZURE_SUBSCRIPTIONS');
    expect(warnings).toHaveLength(1);
  });
});
