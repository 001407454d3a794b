import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoAlertStore } from '../../shared/adapters/dynamo/alert-store.js';
import { DynamoAnomalyStore } from '../../shared/adapters/dynamo/anomaly-store.js';
import { DynamoBudgetStore } from '../../shared/adapters/dynamo/budget-store.js';
import { DynamoCapacityStore } from '../../shared/adapters/dynamo/capacity-store.js';
import { DynamoCostStore } from '../../shared/adapters/dynamo/cost-store.js';
import { DynamoDigestStore } from '../../shared/adapters/dynamo/digest-store.js';
import { DynamoEconomicsStore } from '../../shared/adapters/dynamo/economics-store.js';
import { DynamoExecutionBudgetStore } from '../../shared/adapters/dynamo/execution-budget-store.js';
import { DynamoMeasurementStore } from '../../shared/adapters/dynamo/measurement-store.js';
import { DynamoPriceStore } from '../../shared/adapters/dynamo/price-store.js';
import { DynamoRunStore } from '../../shared/adapters/dynamo/run-store.js';
import { DynamoSignalStore } from '../../shared/adapters/dynamo/signal-store.js';
import { accessPatterns, keyPartFormats, type AccessPattern, type AccessPatternName } from '../../shared/adapters/dynamo/table.js';
import { DynamoTokenStore } from '../../shared/adapters/dynamo/token-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo/usage-store.js';
import { createToken } from '../../shared/domain/access/tokens.js';
import { budgetFromInput, budgetInputSchema } from '../../shared/domain/budgets/budgets.js';
import { budgetWindowAt, executionBudgetInputSchema, ZERO_AMOUNTS } from '../../shared/domain/budgets/execution-budgets.js';
import { parseDecimal } from '../../shared/domain/core/money.js';
import { keyedFocusRecord } from '../../shared/domain/costs/focus.js';
import type { GpuObservation, PoolObservation, WorkloadObservation } from '../../shared/domain/economics/fleet-observations.js';
import { spotPlacementScoreObservations } from '../../shared/domain/market/capacity.js';
import type { HostHour } from '../../shared/domain/measurements/host-hours.js';
import { emptyTotals } from '../../shared/domain/usage/usage-rollup.js';
import { anomalyView, digestModel, signalView, unitEconomicsRow } from '../support/digest.js';
import { focusRecord } from '../support/focus.js';
import { startTestTable } from '../support/ledger.js';
import { gpuPricePoint } from '../support/prices.js';

/**
 * Every key the stores write has a shape declared in `table.ts`, and every declared shape is written: the stores
 * write one of everything into a table of their own, the table is scanned, and each item's keys are matched
 * against the access patterns, read as data (each `<part>` as its declared format).
 */
type Pattern = AccessPattern & { name: AccessPatternName };
const patterns: Pattern[] = Object.entries(accessPatterns).map(([name, p]) => ({
  ...(p as AccessPattern),
  name: name as AccessPatternName,
}));

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The regular expression of a key shape: literal text as itself, each `<part>` as its format. */
function shapeRegExp(shape: string, parts: Record<string, string> = {}): RegExp {
  let source = '';
  let last = 0;
  for (const match of shape.matchAll(/<([^<>]+)>/g)) {
    const name = match[1]!;
    source += `${escape(shape.slice(last, match.index))}(?:${parts[name] ?? keyPartFormats[name] ?? '.+'})`;
    last = match.index + match[0].length;
  }
  return new RegExp(`^${source}${escape(shape.slice(last))}$`, 's');
}

const matchers = patterns.map((p) => ({ pattern: p, pk: shapeRegExp(p.pk, p.parts), sk: shapeRegExp(p.sk, p.parts) }));

/** The patterns of one index that a key matches. */
function matching(index: 'table' | 'gsi1', pk: unknown, sk: unknown): Pattern[] {
  if (typeof pk !== 'string' || typeof sk !== 'string') return [];
  return matchers.filter((m) => m.pattern.index === index && m.pk.test(pk) && m.sk.test(sk)).map((m) => m.pattern);
}

/** What is wrong with an item's keys ('' when nothing), and the patterns it matched. */
function checkItem(item: Record<string, unknown>): { problem: string; matched: AccessPatternName[] } {
  const name = `${String(item.pk)} / ${String(item.sk)}`;
  const table = matching('table', item.pk, item.sk);
  if (table.length !== 1)
    return { problem: `${name}: matches ${table.length} table patterns (${table.map((p) => p.name).join(', ')})`, matched: [] };
  const own = table[0]!;
  if (item.gsi1pk === undefined && item.gsi1sk === undefined) return { problem: '', matched: [own.name] };
  const index = matching('gsi1', item.gsi1pk, item.gsi1sk);
  const gsi = `${name} in gsi1 (${String(item.gsi1pk)} / ${String(item.gsi1sk)})`;
  if (index.length !== 1)
    return { problem: `${gsi}: matches ${index.length} gsi1 patterns (${index.map((p) => p.name).join(', ')})`, matched: [own.name] };
  if (index[0]!.on !== own.name)
    return { problem: `${gsi}: ${index[0]!.name} belongs on ${index[0]!.on}, not on ${own.name}`, matched: [own.name] };
  return { problem: '', matched: [own.name, index[0]!.name] };
}

describe('access patterns as data (shared/adapters/dynamo/table.ts)', () => {
  it('declares each index key on a table pattern, and formats only for parts its shapes have', () => {
    for (const p of patterns) {
      if (p.index === 'gsi1') expect(accessPatterns[p.on as AccessPatternName]?.index, `${p.name}.on`).toBe('table');
      else expect(p.on, `${p.name}.on`).toBeUndefined();
      const names = [...`${p.pk} ${p.sk}`.matchAll(/<([^<>]+)>/g)].map((m) => m[1]);
      for (const part of Object.keys(p.parts ?? {})) expect(names, `${p.name}.parts.${part}`).toContain(part);
    }
  });

  it('tells keys on their shapes from keys off them', () => {
    expect(
      checkItem({ pk: 'HOST#h-1', sk: 'MIN#1763596800000', gsi1pk: 'ROLLUP#2025-11-20', gsi1sk: 'POOL#a#HOST#h-1#1763596800000' }).problem,
    ).toBe('');
    // A time not padded to 13 digits, a day that is not yyyy-mm-dd, an unknown prefix, an index key on the wrong item.
    expect(checkItem({ pk: 'HOST#h-1', sk: 'MIN#999' }).problem).toMatch(/matches 0 table patterns/);
    expect(checkItem({ pk: 'USAGE#20251120', sk: 'MIN#1763596800000#m' }).problem).toMatch(/matches 0 table patterns/);
    expect(checkItem({ pk: 'NOPE#1', sk: 'NOPE' }).problem).toMatch(/matches 0 table patterns/);
    expect(checkItem({ pk: 'TOKEN#k', sk: 'TOKEN', gsi1pk: 'RUNS', gsi1sk: '2025-11-20T00:00:00.000Z#r' }).problem).toMatch(
      /collectorRunByTime belongs on collectorRun, not on token/,
    );
    expect(checkItem({ pk: 'TOKEN#k', sk: 'TOKEN', gsi1pk: 'TOKENS' }).problem).toMatch(/matches 0 gsi1 patterns/);
  });
});

describe('every item the stores write has a declared key, and every declared key is written', () => {
  let items: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const { db, tableName } = await startTestTable({ prefix: 'keys' });
    const day = '2026-11-20';
    const at = '2026-11-20T06:00:00.000Z';
    const atMs = Date.parse(at);
    const minute = atMs + 60_000;

    const measurements = new DynamoMeasurementStore(db, tableName);
    await measurements.putBatch('host-1', 'batch-1', { fingerprint: 'f', accepted: 2, rejectedFields: 0, createdAt: at });
    await measurements.applyMinutes('batch-1', [
      { hostId: 'host-1', minute, host: { hostId: 'host-1', pool: 'gpu-a' }, gpus: {} },
      { hostId: 'host-2', minute, host: { hostId: 'host-2' }, gpus: {} },
    ]);

    const usage = new DynamoUsageStore(db, tableName, 400, () => atMs);
    const event = {
      requestId: 'req-1',
      time: minute,
      model: 'gpt-4o',
      tokens: { input: 10, output: 5, cacheRead: 0, cacheCreation: 0, reasoning: 0 },
      retries: 0,
      error: false,
      cost: parseDecimal('0.01'),
      pricedAs: null,
    };
    await usage.claimEvents('owner-1', [event]);
    await usage.applyRollups('owner-1', [
      {
        minute,
        dims: { model: 'gpt-4o', workflow: 'support', agent: undefined, team: 'search' },
        totals: { ...emptyTotals(), requests: 1 },
      },
    ]);
    await usage.putUsageBatch('owner-1', { accepted: 1, duplicates: 0, unpriced: 0, createdAt: at });
    await usage.putModelPrice({
      model: 'gpt-4o',
      input: parseDecimal('0.0000025'),
      output: parseDecimal('0.00001'),
      source: 'custom',
      updatedAt: at,
    });

    await createToken(new DynamoTokenStore(db, tableName), { name: 'reader', scopes: ['read'], now: new Date(atMs) });
    await new DynamoCostStore(db, tableName).putRecords('run-1', [keyedFocusRecord('aws', focusRecord({}))]);
    await new DynamoPriceStore(db, tableName).putPoints([gpuPricePoint({ observedAt: at })]);
    await new DynamoCapacityStore(db, tableName).putObservations(
      spotPlacementScoreObservations([{ Region: 'us-west-2', AvailabilityZoneId: 'usw2-az1', Score: 9 }], {
        instanceTypes: ['p5.48xlarge'],
        targetCapacity: 1,
        observedAt: at,
      }),
    );
    await new DynamoRunStore(db, tableName).putRun({
      runId: 'aws-costs-1',
      collector: 'aws-costs',
      provider: 'aws',
      periodStart: day,
      periodEnd: '2026-11-21',
      status: 'ok',
      rows: 1,
      pages: 1,
      startedAt: at,
      durationMs: 10,
    });
    await new DynamoAnomalyStore(db, tableName).putAnomalies([anomalyView({ date: day })], atMs);

    const signals = new DynamoSignalStore(db, tableName);
    const { firstRaisedAt: _first, updatedAt: _updated, ...raised } = signalView();
    await signals.upsert(raised, atMs);
    await signals.upsert({ ...raised, signalId: 'sig-gone', monthlyImpact: '-5' }, atMs);
    await signals.resolve(['sig-gone'], atMs + 1);

    await new DynamoBudgetStore(db, tableName).createBudget(
      budgetFromInput('budget-1', budgetInputSchema.parse({ name: 'All spend', amount: '1000', period: 'monthly' }), at, at),
    );

    const executionBudgets = new DynamoExecutionBudgetStore(db, tableName);
    for (const [id, window, per] of [
      ['xb-day', 'day', 'conversation'],
      ['xb-lifetime', 'lifetime', 'budget'],
    ] as const) {
      const budget = {
        ...executionBudgetInputSchema.parse({ name: id, ceilings: { cost: '10' }, window, per }),
        id,
        createdAt: at,
        updatedAt: at,
      };
      await executionBudgets.createBudget(budget);
      const conversationId = per === 'conversation' ? 'conv-1' : null;
      const scope = { budgetId: id, window: budgetWindowAt(window, atMs), conversationId };
      const reservation = {
        requestId: `${id}-step`,
        reservationId: `r-${id.padEnd(22, '0')}`,
        estimate: { ...ZERO_AMOUNTS, cost: parseDecimal('1') },
        conversationId,
        releaseAt: atMs + 60_000,
      };
      expect((await executionBudgets.reserve(budget.ceilings, scope, reservation, atMs)).kind).toBe('allowed');
    }

    await new DynamoDigestStore(db, tableName).putDigest(digestModel());

    const economics = new DynamoEconomicsStore(db, tableName, 400);
    await economics.putHostHours([
      { hostId: 'host-1', pool: 'gpu-a', hour: Date.parse('2026-11-20T05:00:00Z') } as HostHour,
      { hostId: 'host-2', hour: Date.parse('2026-11-20T05:00:00Z') } as HostHour,
    ]);
    await economics.putRows([
      unitEconomicsRow(),
      unitEconomicsRow({ period: 'hour', scopeKind: 'pool', scope: 'gpu-a', start: '2026-11-20T05:00:00.000Z', end: at }),
    ]);
    await economics.putObservations(day, {
      pools: [{ pool: 'gpu-a' } as PoolObservation],
      gpus: [{ pool: 'gpu-a', hostId: 'host-1', uuid: 'GPU-1' } as GpuObservation],
      workloads: [{ kind: 'pod', scope: 'research/notebook' } as WorkloadObservation],
    });
    await economics.putRun({
      executionId: 'daily-1',
      mode: 'daily',
      date: day,
      startedAt: at,
      finishedAt: at,
      status: 'ok',
      pools: [],
      steps: [],
    });

    const alerts = new DynamoAlertStore(db, tableName);
    await alerts.claimAlert('signal:sig-consolidate-gpu-a', atMs);
    await alerts.claimDelivery('signal:sig-consolidate-gpu-a', 'email', atMs);

    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  });

  it('keys every item by exactly one table pattern and, in gsi1, by one index pattern of that item', () => {
    expect(items.length).toBeGreaterThan(patterns.length / 2);
    expect(
      items
        .map(checkItem)
        .map((c) => c.problem)
        .filter(Boolean),
    ).toEqual([]);
  });

  it('writes every declared pattern', () => {
    const written = new Set(items.flatMap((item) => checkItem(item).matched));
    expect(patterns.map((p) => p.name).filter((name) => !written.has(name))).toEqual([]);
  });
});
