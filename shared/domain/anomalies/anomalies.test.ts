import { describe, expect, it } from 'vitest';
import { type AnomalyView } from './anomaly-view.js';
import {
  anomalyIdOf,
  anomalyWindow,
  excludedSeriesDays,
  seasonalBaseline,
  SpendSeriesFold,
  UsageDriftFold,
  WINDOW_DAYS,
  type AnomalyThresholds,
  type AnomalyVerdict,
} from './anomalies.js';
import { emptyFocusRecord, type FocusRecord } from '../costs/focus.js';
import { parseDecimal } from '../core/money.js';
import { emptyTotals, type UsageMinute } from '../usage/usage-rollup.js';

// 2026-11-16 is a Monday; the window runs from 2026-09-21 (index 0, also a Monday) to it (index 56).
const DATE = '2026-11-16';
const window = anomalyWindow(DATE);
const thresholds: AnomalyThresholds = { minDollars: 50, minPercent: 20, minScore: 3.5 };
const EC2 = 'Amazon Elastic Compute Cloud - Compute';
const S3 = 'Amazon Simple Storage Service';
/** +10 on the days of even weeks of the window, −10 on odd weeks: every weekday's median is the level, MAD 10. */
const wobble = (i: number, size = 10) => (Math.floor(i / 7) % 2 === 0 ? size : -size);

function record(i: number, cost: number, columns: Partial<FocusRecord> = {}, days = window.days): FocusRecord {
  const day = days[i]!;
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return {
    ...emptyFocusRecord('aws'),
    BillingAccountId: '111122223333',
    BillingPeriodStart: '2026-11-01T00:00:00Z',
    BillingPeriodEnd: '2026-12-01T00:00:00Z',
    ChargePeriodStart: `${day}T00:00:00Z`,
    ChargePeriodEnd: `${next}T00:00:00Z`,
    ServiceName: EC2,
    EffectiveCost: String(cost),
    BilledCost: String(cost),
    ...columns,
  };
}

function spendAnomalies(
  records: Iterable<FocusRecord>,
  options: { date?: string; excluded?: Set<string>; feedback?: Map<string, AnomalyVerdict> } = {},
): AnomalyView[] {
  const fold = new SpendSeriesFold(anomalyWindow(options.date ?? DATE), { teamTag: 'team', excluded: options.excluded ?? new Set() });
  for (const r of records) fold.add(r);
  return fold.anomalies(thresholds, options.feedback);
}

/** One series (service `name`): `value(i)` dollars on every day of the window. */
function* serviceSeries(value: (i: number) => number, name = 'Amazon SageMaker', date = DATE): Generator<FocusRecord> {
  const days = anomalyWindow(date).days;
  for (let i = 0; i < WINDOW_DAYS; i++)
    yield record(i, value(i), { ServiceName: name, ResourceId: 'endpoint-1', Tags: { team: 'research' } }, days);
}

const find = (anomalies: AnomalyView[], dimension: string, key: string) =>
  anomalies.find((a) => a.dimension === dimension && a.key === key);

describe('seasonalBaseline', () => {
  it('takes the median of the same weekday and the MAD of every weekday’s residuals', () => {
    const values = Array.from({ length: WINDOW_DAYS }, (_, i) => 1000 + wobble(i));
    const baseline = seasonalBaseline(values, 0.01)!;
    expect(baseline.method).toBe('same-weekday-median');
    expect(baseline.expected).toBe(1000);
    expect(baseline.scale).toBeCloseTo(14.826, 10);
    expect(baseline.days).toEqual([0, 7, 14, 21, 28, 35, 42, 49]);
  });

  it('is not computed for a series with less than a week of history', () => {
    const values = Array.from({ length: WINDOW_DAYS }, (_, i) => (i >= 50 ? 100 : null));
    expect(seasonalBaseline(values, 0.01)).toBeNull();
  });

  it('uses the trailing median times a weekday factor for a series younger than three weeks', () => {
    // 14 days: Mondays (indices 42 and 49) at 1,000, other days at 500. Factors: Monday 1000 / (8000/14) = 1.75,
    // others 0.875; every day divided by its factor is 571.43, so the expected Monday is 571.43 × 1.75 = 1,000.
    const values = Array.from({ length: WINDOW_DAYS }, (_, i) => (i < 42 ? null : i % 7 === 0 ? 1000 : 500));
    const baseline = seasonalBaseline(values, 0.01)!;
    expect(baseline.method).toBe('trailing-median-weekday-factor');
    expect(baseline.expected).toBeCloseTo(1000, 9);
    // Residuals around the plain median 500: twelve 0, two 500 → MAD 0 → 1.2533 × 1000/14.
    expect(baseline.scale).toBeCloseTo((1.2533 * 1000) / 14, 9);
    expect(baseline.days).toEqual([42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55]);
  });
});

describe('spend anomalies', () => {
  /**
   * EC2 (team ml): i-train $600 ± 10 in us-east-1, i-serve $400 in us-west-2. S3 (team data): $4,000.
   * On the day: i-train $550, i-serve $900, a new i-new $150 in us-west-2: EC2 goes from 1,000 to 1,600.
   */
  function* spikeScenario(): Generator<FocusRecord> {
    for (let i = 0; i < WINDOW_DAYS; i++) {
      const target = i === WINDOW_DAYS - 1;
      const east = { RegionId: 'us-east-1', x_UsageType: 'USE1-BoxUsage:p5.48xlarge', Tags: { team: 'ml' } };
      const west = { RegionId: 'us-west-2', x_UsageType: 'USW2-BoxUsage:p5.48xlarge', Tags: { team: 'ml' } };
      yield record(i, target ? 550 : 600 + wobble(i), { ...east, ResourceId: 'i-train' });
      yield record(i, target ? 900 : 400, { ...west, ResourceId: 'i-serve' });
      if (target) yield record(i, 150, { ...west, ResourceId: 'i-new' });
      yield record(i, 4000, {
        ServiceName: S3,
        RegionId: 'us-east-1',
        x_UsageType: 'TimedStorage-ByteHrs',
        ResourceId: 'logs',
        Tags: { team: 'data' },
      });
    }
  }

  it('raises a spike on one service with its root cause in dollars', () => {
    const anomalies = spendAnomalies(spikeScenario());
    // The provider and the account also rose by $600, but on $5,000 that is 12%: under the 20% floor.
    expect(anomalies.map((a) => `${a.dimension}:${a.key}`).sort()).toEqual([`service:${EC2}`, 'team:ml']);

    const service = find(anomalies, 'service', EC2)!;
    expect(service).toMatchObject({
      anomalyId: anomalyIdOf({ kind: 'spend', dimension: 'service', key: EC2, metric: 'EffectiveCost', currency: 'USD' }, DATE),
      date: DATE,
      kind: 'spend',
      metric: 'EffectiveCost',
      actual: 1600,
      expected: 1000,
      delta: '600',
      deltaPercent: 60,
      // 600 / (1.4826 × 10)
      score: 40.47,
      currency: 'USD',
      team: null,
      feedback: null,
    });
    // Each value's own expected is the series' 1,000 times its share of the 8 Mondays: i-serve 3,200 of 8,000 → 400.
    expect(service.contributions).toEqual([
      { dimension: 'region', key: 'us-west-2', delta: '650' },
      { dimension: 'region', key: 'us-east-1', delta: '-50' },
      { dimension: 'account', key: '111122223333', delta: '600' },
      { dimension: 'usageType', key: 'USW2-BoxUsage:p5.48xlarge', delta: '650' },
      { dimension: 'usageType', key: 'USE1-BoxUsage:p5.48xlarge', delta: '-50' },
      { dimension: 'resource', key: 'i-serve', delta: '500' },
      { dimension: 'resource', key: 'i-new', delta: '150' },
      { dimension: 'resource', key: 'i-train', delta: '-50' },
    ]);

    const team = find(anomalies, 'team', 'ml')!;
    expect(team).toMatchObject({ actual: 1600, expected: 1000, delta: '600', team: 'ml' });
    expect(team.contributions[0]).toEqual({ dimension: 'service', key: EC2, delta: '600' });
  });

  it('keeps at most five values per dimension, largest first', () => {
    function* manyResources(): Generator<FocusRecord> {
      for (let i = 0; i < WINDOW_DAYS; i++) {
        yield record(i, 1000 + wobble(i), { ResourceId: 'base' });
        if (i === WINDOW_DAYS - 1) for (let k = 1; k <= 7; k++) yield record(i, 100 * k, { ResourceId: `new-${k}` });
      }
    }
    const service = find(spendAnomalies(manyResources()), 'service', EC2)!;
    expect(service.contributions.filter((c) => c.dimension === 'resource').map((c) => `${c.key} ${c.delta}`)).toEqual([
      'new-7 700',
      'new-6 600',
      'new-5 500',
      'new-4 400',
      'new-3 300',
    ]);
  });

  it('does not raise a change under the dollar floor, and raises it above', () => {
    // $100 ± 1: +$40 is 40% and a score of 27, but under $50.
    expect(spendAnomalies(serviceSeries((i) => (i === 56 ? 140 : 100 + wobble(i, 1))))).toEqual([]);
    expect(find(spendAnomalies(serviceSeries((i) => (i === 56 ? 160 : 100 + wobble(i, 1)))), 'service', 'Amazon SageMaker')).toMatchObject({
      delta: '60',
      deltaPercent: 60,
    });
  });

  it('does not raise a change under the percent floor, and raises it above', () => {
    // $1,000 ± 10: +$190 is a score of 12.8 and over $50, but 19%.
    expect(spendAnomalies(serviceSeries((i) => (i === 56 ? 1190 : 1000 + wobble(i))))).toEqual([]);
    expect(find(spendAnomalies(serviceSeries((i) => (i === 56 ? 1210 : 1000 + wobble(i)))), 'service', 'Amazon SageMaker')).toMatchObject({
      delta: '210',
      deltaPercent: 21,
    });
  });

  it('does not raise a weekday that is always high (Mondays at 2×), but raises the same amount on a Tuesday', () => {
    const mondaysDouble = (date: string) => (i: number) => {
      const weekday = new Date(Date.parse(`${anomalyWindow(date).days[i]}T00:00:00Z`)).getUTCDay();
      return i === 56 ? 2000 : (weekday === 1 ? 2000 : 1000) + wobble(i);
    };
    expect(spendAnomalies(serviceSeries(mondaysDouble(DATE)))).toEqual([]);
    const tuesday = '2026-11-17';
    const raised = find(
      spendAnomalies(serviceSeries(mondaysDouble(tuesday), 'Amazon SageMaker', tuesday), { date: tuesday }),
      'service',
      'Amazon SageMaker',
    );
    expect(raised).toMatchObject({ date: tuesday, expected: 1000, actual: 2000, delta: '1000' });
  });

  it('scores a flat series (MAD 0) against 1% of its level, so only the floors decide', () => {
    expect(spendAnomalies(serviceSeries(() => 100))).toEqual([]);
    // Scale max(1% × 100, $0.01) = $1: +$200 scores 200.
    expect(find(spendAnomalies(serviceSeries((i) => (i === 56 ? 300 : 100))), 'service', 'Amazon SageMaker')).toMatchObject({
      expected: 100,
      actual: 300,
      delta: '200',
      deltaPercent: 200,
      score: 200,
    });
    // One baseline day off by $100: MAD still 0, the scale is 1.2533 × the mean absolute residual (100 / 56).
    const oneOff = find(spendAnomalies(serviceSeries((i) => (i === 56 ? 1300 : i === 10 ? 1100 : 1000))), 'service', 'Amazon SageMaker');
    expect(oneOff!.score).toBeCloseTo(300 / ((1.2533 * 100) / 56), 1);
    expect(oneOff!.score).toBe(134.05);
  });

  it('does not score a series that started on the day, nor a day without records', () => {
    const newService = [...serviceSeries(() => 100)].concat(record(56, 5000, { ServiceName: 'Amazon Bedrock' }));
    expect(find(spendAnomalies(newService), 'service', 'Amazon Bedrock')).toBeUndefined();
    expect(spendAnomalies([...serviceSeries(() => 100)].filter((r) => !r.ChargePeriodStart.startsWith(DATE)))).toEqual([]);
  });

  it('leaves days marked unexpected out of the baseline, and keeps days marked expected', () => {
    // $1,000 a day; four of the eight earlier Mondays were $3,000 spikes. The day: $1,500.
    const spikes = [28, 35, 42, 49];
    const records = () => serviceSeries((i) => (i === 56 ? 1500 : spikes.includes(i) ? 3000 : 1000));
    const marked = (verdict: AnomalyVerdict) =>
      excludedSeriesDays(
        spikes.map((i) => ({
          kind: 'spend',
          dimension: 'service',
          key: 'Amazon SageMaker',
          metric: 'EffectiveCost',
          currency: 'USD',
          date: window.days[i]!,
          feedback: verdict,
        })),
      );
    // Kept, the Monday median is (1,000 + 3,000) / 2 = 2,000: the day is below it.
    expect(spendAnomalies(records(), { excluded: marked('expected') })).toEqual([]);
    expect(spendAnomalies(records())).toEqual([]);
    // Left out, the median of the four remaining Mondays is 1,000 and every residual is 0: scale $10, score 50.
    const raised = spendAnomalies(records(), { excluded: marked('unexpected') });
    expect(raised.map((a) => `${a.dimension}:${a.key}`)).toEqual(['service:Amazon SageMaker']);
    expect(raised[0]).toMatchObject({
      expected: 1000,
      delta: '500',
      score: 50,
      contributions: expect.arrayContaining([{ dimension: 'resource', key: 'endpoint-1', delta: '500' }]),
    });
  });

  it('carries the feedback given on the anomaly', () => {
    const id = anomalyIdOf(
      { kind: 'spend', dimension: 'service', key: 'Amazon SageMaker', metric: 'EffectiveCost', currency: 'USD' },
      DATE,
    );
    const anomalies = spendAnomalies(
      serviceSeries((i) => (i === 56 ? 300 : 100)),
      { feedback: new Map([[id, 'expected']]) },
    );
    expect(find(anomalies, 'service', 'Amazon SageMaker')).toMatchObject({ anomalyId: id, feedback: 'expected' });
  });

  it('leaves out records that span more than a day (monthly fees)', () => {
    const monthly = record(56, 100_000, { ServiceName: 'Amazon SageMaker', ChargePeriodEnd: '2026-12-01T00:00:00Z' });
    expect(spendAnomalies([...serviceSeries(() => 100), monthly])).toEqual([]);
  });
});

describe('anomaly ids', () => {
  it('are a stable digest of the series and the day', () => {
    const series = { kind: 'spend', dimension: 'service', key: EC2, metric: 'EffectiveCost', currency: 'USD' } as const;
    expect(anomalyIdOf(series, DATE)).toMatch(/^[0-9a-f]{24}$/);
    expect(anomalyIdOf(series, DATE)).toBe(anomalyIdOf({ ...series }, DATE));
    expect(anomalyIdOf(series, '2026-11-17')).not.toBe(anomalyIdOf(series, DATE));
    expect(anomalyIdOf({ ...series, dimension: 'team' }, DATE)).not.toBe(anomalyIdOf(series, DATE));
  });
});

describe('usage drift', () => {
  const noon = (i: number) => Date.parse(`${window.days[i]}T12:00:00Z`);

  /** One day of usage: `requests` requests of `tokensPerRequest` tokens (100 of them output) at $0.00001 a token. */
  function day(i: number, dims: UsageMinute['dims'], requests: number, tokensPerRequest: number, retries: number): UsageMinute {
    const totals = emptyTotals();
    totals.requests = requests;
    totals.inputTokens = requests * (tokensPerRequest - 100);
    totals.outputTokens = requests * 100;
    totals.cost = parseDecimal(((requests * tokensPerRequest) / 100_000).toFixed(6));
    totals.retries = retries;
    return { minute: noon(i), dims, totals };
  }

  function drift(rollups: Iterable<UsageMinute>): AnomalyView[] {
    const fold = new UsageDriftFold(window, { excluded: new Set() });
    for (const r of rollups) fold.add(r);
    return fold.anomalies(thresholds);
  }

  function* scenario(targetTokensPerRequest: number): Generator<UsageMinute> {
    for (let i = 0; i < WINDOW_DAYS; i++) {
      // 10,000 requests a day of 1,000 ± 10 tokens, 200 retries (rate 0.02).
      const triage = i === 56 ? targetTokensPerRequest : 1000 + wobble(i);
      yield day(i, { workflow: 'support-triage', model: 'gpt-4o', team: 'support' }, 10_000, triage, 200);
      // A stable workflow beside it.
      yield day(
        i,
        { workflow: 'nightly-summary', model: 'claude-sonnet-4-5', team: 'data' },
        1_000,
        i === 56 ? 500 : 500 + wobble(i, 5),
        10,
      );
    }
  }

  it('raises tokens per request (and the cost per request it drives) when they double, with the dollars', () => {
    const anomalies = drift(scenario(2000));
    expect(anomalies.map((a) => `${a.dimension}:${a.key}:${a.metric}`).sort()).toEqual([
      'model:gpt-4o:costPerRequest',
      'model:gpt-4o:tokensPerRequest',
      'workflow:support-triage:costPerRequest',
      'workflow:support-triage:tokensPerRequest',
    ]);
    // 1,000 more tokens a request × 10,000 requests at the day's $200 / 20,000,000 tokens = $100.
    expect(anomalies.find((a) => a.dimension === 'workflow' && a.metric === 'tokensPerRequest')).toMatchObject({
      kind: 'drift',
      key: 'support-triage',
      actual: 2000,
      expected: 1000,
      delta: '100',
      deltaPercent: 100,
      score: 67.45,
      currency: 'USD',
      contributions: [],
      team: 'support',
    });
    // $0.02 against $0.01 a request × 10,000 requests.
    expect(anomalies.find((a) => a.dimension === 'workflow' && a.metric === 'costPerRequest')).toMatchObject({
      actual: 0.02,
      expected: 0.01,
      delta: '100',
      score: 67.45,
    });
  });

  it('raises nothing on stable series', () => {
    expect(drift(scenario(1000))).toEqual([]);
  });

  it('does not price the drift of unpriced usage, and then applies no dollar floor', () => {
    const unpriced = [...scenario(2000)].map((r) => ({
      ...r,
      totals: {
        ...r.totals,
        cost: 0n,
        unpricedRequests: r.totals.requests,
        unpricedInputTokens: r.totals.inputTokens,
        unpricedOutputTokens: r.totals.outputTokens,
      },
    }));
    const anomalies = drift(unpriced);
    expect(anomalies.map((a) => `${a.dimension}:${a.metric}:${a.delta}`).sort()).toEqual([
      'model:tokensPerRequest:0',
      'workflow:tokensPerRequest:0',
    ]);
  });
});
