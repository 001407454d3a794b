import type { AnomalyView, BudgetStatusView, SignalView } from '../../events/analysis.js';
import type { AnomalyDetectedDetail, BudgetBreachedDetail, SignalRaisedDetail } from '../../shared/domain/digest/digest-render.js';
import { digestModelSchema, type DigestModel } from '../../shared/domain/digest/digest-model.js';
import type { UnitEconomicsRow } from '../../shared/domain/economics/unit-economics-row.js';

/**
 * Sample digests and alerts with round, hand-checkable numbers. Every builder takes overrides; the digest is
 * validated against its schema, so a fixture can never drift from the contract.
 *
 * The default digest (2026-11-20, USD):
 * - total $12,345.67 against $10,990.00 (+12.3%); aws $8,000.00 (+5.0%), azure $3,000.00 (-2.0%), gcp $1,345.67 (+334.5%);
 * - fleet: 8 GPUs × 24 h = 192 paid GPU-hours at $2.50 = $480.00, SM active 0.4 → 76.8 effective GPU-hours,
 *   idle cost $288.00, $6.25 per effective GPU-hour, 120 M tokens → $4.00 per million, 400,000 requests → $1.20 per 1k,
 *   96 kWh → 0.8 kWh per million tokens;
 * - signals given out of order: consolidate $4,321.00, move $9,120.50, commit $1,500.00, renegotiate $250.75
 *   (largest first: move, consolidate, commit; total $15,192.25 a month);
 * - budgets: Search team GPUs (92% spent, forecast 118%), Platform API models (20%, 48%), AWS EC2 (85%, 95%);
 * - anomalies: team search -$300.00, service Amazon EC2 +$1,200.00 (root cause region us-east-1 +$1,000.00), a drift;
 * - one failed scope.
 */

export function unitEconomicsRow(overrides: Partial<UnitEconomicsRow> = {}): UnitEconomicsRow {
  return {
    scopeKind: 'fleet',
    scope: '*',
    period: 'day',
    start: '2026-11-20T00:00:00.000Z',
    end: '2026-11-21T00:00:00.000Z',
    currency: 'USD',
    cost: '480',
    apiCost: '0',
    paidGpuHours: 192,
    effectiveGpuHours: 76.8,
    effectiveUtilization: 0.4,
    idleCost: '288',
    idleHeldGpuHours: 0,
    idleHeldCost: '0',
    epochs: null,
    costPerEpoch: null,
    costPerEffectiveGpuHour: '6.25',
    tokens: 120_000_000,
    requests: 400_000,
    costPerMillionTokens: '4',
    costPer1kRequests: '1.2',
    energyKwh: 96,
    kwhPerMillionTokens: 0.8,
    ...overrides,
  };
}

export function signalView(overrides: Partial<SignalView> = {}): SignalView {
  return {
    signalId: 'sig-consolidate-gpu-a',
    type: 'consolidate',
    subject: 'pool gpu-a (H100, aws us-east-1, on-demand)',
    title: 'Consolidate pool gpu-a: 62% of paid GPU-hours idle',
    summary: 'Pool gpu-a used 38% of its 5,760 paid GPU-hours; packing its work onto 3 of its 8 hosts saves about $4,321.00 a month.',
    monthlyImpact: '4321',
    currency: 'USD',
    confidence: 0.8,
    evidence: { paidGpuHours: 5760, effectiveGpuHours: 2188.8, idlePercent: 62, pricePerGpuHour: '2.50' },
    team: 'search',
    firstRaisedAt: '2026-11-18T06:00:00.000Z',
    updatedAt: '2026-11-20T06:00:00.000Z',
    ...overrides,
  };
}

export function budgetStatusView(overrides: Partial<BudgetStatusView> = {}): BudgetStatusView {
  return {
    budgetId: 'bud-search',
    name: 'Search team GPUs',
    scope: { team: 'search' },
    periodStart: '2026-11-01',
    periodEnd: '2026-12-01',
    amount: '10000',
    currency: 'USD',
    actual: '9200',
    forecast: '11800',
    actualPercent: 92,
    forecastPercent: 118,
    crossed: { actual: [50, 80], forecast: [50, 80, 100] },
    team: 'search',
    ...overrides,
  };
}

export function anomalyView(overrides: Partial<AnomalyView> = {}): AnomalyView {
  return {
    anomalyId: 'anom-service-ec2-2026-11-20',
    date: '2026-11-20',
    kind: 'spend',
    dimension: 'service',
    key: 'Amazon EC2',
    metric: 'daily cost',
    actual: 2611.76,
    expected: 1411.76,
    delta: '1200',
    deltaPercent: 85,
    score: 6.2,
    currency: 'USD',
    contributions: [
      { dimension: 'region', key: 'us-east-1', delta: '1000' },
      { dimension: 'usageType', key: 'p5.48xlarge', delta: '200' },
    ],
    team: null,
    feedback: null,
    ...overrides,
  };
}

export function digestModel(overrides: Partial<DigestModel> = {}): DigestModel {
  return digestModelSchema.parse({
    date: '2026-11-20',
    from: '2026-11-20',
    to: '2026-11-21',
    previousFrom: '2026-11-19',
    previousTo: '2026-11-20',
    currency: 'USD',
    generatedAt: '2026-11-21T06:00:00.000Z',
    totals: { current: '12345.67', previous: '10990', changePercent: 12.3355 },
    spendByProvider: [
      { provider: 'gcp', current: '1345.67', previous: '309.73', changePercent: 334.46 },
      { provider: 'aws', current: '8000', previous: '7619.05', changePercent: 5.0 },
      { provider: 'azure', current: '3000', previous: '3061.22', changePercent: -2.0 },
    ],
    unitEconomics: [
      unitEconomicsRow({
        scopeKind: 'team',
        scope: 'search',
        cost: '300',
        paidGpuHours: 120,
        effectiveGpuHours: 30,
        effectiveUtilization: 0.25,
        idleCost: '225',
        costPerEffectiveGpuHour: '10',
      }),
      unitEconomicsRow(),
      unitEconomicsRow({
        scopeKind: 'pool',
        scope: 'gpu-a',
        cost: '400',
        paidGpuHours: 160,
        effectiveGpuHours: 64,
        idleCost: '240',
        costPerEffectiveGpuHour: '6.25',
      }),
      unitEconomicsRow({
        scopeKind: 'model',
        scope: 'gpt-4.1-mini',
        cost: '12.5',
        apiCost: '12.5',
        paidGpuHours: 0,
        effectiveGpuHours: 0,
        effectiveUtilization: null,
        idleCost: '0',
        costPerEffectiveGpuHour: null,
        tokens: 25_000_000,
        requests: 50_000,
        costPerMillionTokens: '0.5',
        costPer1kRequests: '0.25',
        energyKwh: 0,
        kwhPerMillionTokens: null,
      }),
    ],
    signals: [
      signalView(),
      signalView({
        signalId: 'sig-move-h100',
        type: 'move',
        title: 'Move pool gpu-a to gcp us-central1 spot',
        subject: 'pool gpu-a',
        summary: 'The same H100 costs 31% less after interruption risk.',
        monthlyImpact: '9120.5',
        confidence: 0.6,
        team: 'search',
      }),
      signalView({
        signalId: 'sig-commit-a100',
        type: 'commit',
        title: 'Commit pool gpu-c for one year',
        subject: 'pool gpu-c',
        summary: 'Sustained 74% effective utilization, above the 61% break-even.',
        monthlyImpact: '1500',
        confidence: 0.9,
        team: null,
      }),
      signalView({
        signalId: 'sig-renegotiate',
        type: 'renegotiate',
        title: 'Renegotiate A100 reserved price',
        subject: 'A100 reserved',
        summary: 'The price rose 14% above its trailing median.',
        monthlyImpact: '250.75',
        confidence: 0.7,
        team: null,
      }),
    ],
    budgets: [
      budgetStatusView({
        budgetId: 'bud-api',
        name: 'Platform API models',
        scope: { team: 'platform', model: 'gpt-4.1-mini' },
        amount: '5000',
        actual: '1000',
        forecast: '2400',
        actualPercent: 20,
        forecastPercent: 48,
        crossed: { actual: [], forecast: [] },
        team: 'platform',
      }),
      budgetStatusView(),
      budgetStatusView({
        budgetId: 'bud-ec2',
        name: 'AWS EC2',
        scope: { provider: 'aws', service: 'Amazon EC2' },
        amount: '20000',
        actual: '17000',
        forecast: '19000',
        actualPercent: 85,
        forecastPercent: 95,
        crossed: { actual: [50, 80], forecast: [50, 80] },
        team: null,
      }),
    ],
    anomalies: [
      anomalyView({
        anomalyId: 'anom-team-search',
        dimension: 'team',
        key: 'search',
        actual: 900,
        expected: 1200,
        delta: '-300',
        deltaPercent: -25,
        score: -4.1,
        contributions: [{ dimension: 'service', key: 'Amazon EC2', delta: '-300' }],
        team: 'search',
      }),
      anomalyView(),
      anomalyView({
        anomalyId: 'anom-drift-support',
        kind: 'drift',
        dimension: 'workflow',
        key: 'support-bot',
        metric: 'tokens per request',
        actual: 1850,
        expected: 1200,
        delta: '0',
        deltaPercent: 54.2,
        score: 5.5,
        contributions: [],
        team: 'platform',
      }),
    ],
    chart: [
      { date: '2026-11-14', spend: '9800', effectiveUtilization: 0.42 },
      { date: '2026-11-15', spend: '10100', effectiveUtilization: 0.45 },
      { date: '2026-11-16', spend: '9950', effectiveUtilization: null },
      { date: '2026-11-17', spend: '10400', effectiveUtilization: 0.4 },
      { date: '2026-11-18', spend: '10700', effectiveUtilization: 0.38 },
      { date: '2026-11-19', spend: '10990', effectiveUtilization: 0.41 },
      { date: '2026-11-20', spend: '12345.67', effectiveUtilization: 0.4 },
    ],
    failedScopes: [{ scope: 'pool gpu-b', error: 'timeout after 3 attempts' }],
    ...overrides,
  });
}

export function signalRaisedDetail(overrides: Partial<SignalRaisedDetail> = {}): SignalRaisedDetail {
  return { ...signalView(), alertKey: 'signal:sig-consolidate-gpu-a', ...overrides };
}

export function budgetBreachedDetail(overrides: Partial<BudgetBreachedDetail> = {}): BudgetBreachedDetail {
  return {
    ...budgetStatusView(),
    alertKey: 'budget:bud-search:2026-11:forecast:100',
    kind: 'forecast',
    thresholdPercent: 100,
    at: '2026-11-20T06:00:00.000Z',
    ...overrides,
  };
}

export function anomalyDetectedDetail(overrides: Partial<AnomalyDetectedDetail> = {}): AnomalyDetectedDetail {
  return { ...anomalyView(), alertKey: 'anomaly:anom-service-ec2-2026-11-20', at: '2026-11-21T06:00:00.000Z', ...overrides };
}
