import { beforeAll, describe, expect, it } from 'vitest';
import { anomalyDetected, type AnomalyView } from '../../events/analysis.js';
import type { LedgerEvent } from '../../events/define.js';
import { DynamoAlertStore } from '../../shared/adapters/dynamo/alert-store.js';
import { DynamoAnomalyStore } from '../../shared/adapters/dynamo/anomaly-store.js';
import { createDocumentClient } from '../../shared/adapters/dynamo/client.js';
import { DynamoCostStore } from '../../shared/adapters/dynamo/cost-store.js';
import { DynamoTokenStore } from '../../shared/adapters/dynamo/token-store.js';
import { DynamoUsageStore } from '../../shared/adapters/dynamo/usage-store.js';
import { LocalEventBus, type EventPublisher } from '../../shared/adapters/events.js';
import { detectAnomalies, type AnomalyDetectionDependencies } from '../../shared/services/analyze/anomalies.js';
import { readConfig } from '../../shared/config.js';
import { anomalyIdOf } from '../../shared/domain/anomalies/anomalies.js';
import { keyedFocusRecord } from '../../shared/domain/costs/focus.js';
import { parseDecimal } from '../../shared/domain/core/money.js';
import { createToken } from '../../shared/domain/access/tokens.js';
import { emptyTotals, type UsageMinute } from '../../shared/domain/usage/usage-rollup.js';
import { focusRecord } from '../support/focus.js';
import { useTestLedger } from '../support/ledger.js';
import { DAY_MS } from '../../shared/domain/core/utc-time.js';

const dayAt = (date: string, offset: number) => new Date(Date.parse(`${date}T00:00:00Z`) + offset * DAY_MS).toISOString().slice(0, 10);
const EC2 = 'Amazon Elastic Compute Cloud - Compute';

/**
 * Costs from 2026-09-14 to 2026-11-16, all Mondays 56 days apart at the ends: EC2 (team ml, one instance) $1,000
 * a day, $11,000 on the spike day X = 2026-11-09 and $1,500 on D = 2026-11-16; S3 (team data) $20,000 a day.
 */
const X = '2026-11-09';
const D = '2026-11-16';
const ec2Cost = (day: string) => (day === X ? 11_000 : day === D ? 1_500 : 1_000);

const { ledger, api } = useTestLedger();
let deps: AnomalyDetectionDependencies & { costs: DynamoCostStore; usage: DynamoUsageStore };
let bus: LocalEventBus;
let readToken: string;

const spend = (kind: string, dimension: string, key: string) =>
  anomalyIdOf({ kind, dimension, key, metric: 'EffectiveCost', currency: 'USD' } as never, X);
const detected = () =>
  bus.published.filter((e) => e.name === anomalyDetected.name) as LedgerEvent<string, AnomalyView & { alertKey: string; at: string }>[];
const detect = (date: string, events: EventPublisher = bus) =>
  detectAnomalies({ ...deps, events }, { date, nowMs: Date.parse(`${dayAt(date, 1)}T02:00:00Z`) });
const names = (anomalies: AnomalyView[]) =>
  anomalies.map((a) => `${a.dimension}:${a.key}${a.kind === 'drift' ? `:${a.metric}` : ''}`).sort();

beforeAll(async () => {
  const { dynamoEndpoint, tableName } = ledger();
  const db = createDocumentClient({ region: 'us-east-1', endpoint: dynamoEndpoint });
  bus = new LocalEventBus();
  deps = {
    config: readConfig({ LEDGER_TABLE_NAME: tableName }), // the defaults: $50, 20%, score 3.5, tag `team`
    costs: new DynamoCostStore(db, tableName),
    usage: new DynamoUsageStore(db, tableName),
    anomalies: new DynamoAnomalyStore(db, tableName),
    alerts: new DynamoAlertStore(db, tableName),
    events: bus,
  };
  readToken = (await createToken(new DynamoTokenStore(db, tableName), { name: 'reader', scopes: ['read'], now: new Date() })).token;

  const records = [];
  for (let day = dayAt(X, -56); day <= D; day = dayAt(day, 1)) {
    const period = { ChargePeriodStart: `${day}T00:00:00Z`, ChargePeriodEnd: `${dayAt(day, 1)}T00:00:00Z` };
    const cost = String(ec2Cost(day));
    records.push(
      focusRecord({
        ...period,
        EffectiveCost: cost,
        BilledCost: cost,
        ResourceId: 'i-serve',
        x_UsageType: 'USE1-BoxUsage:p5.48xlarge',
        Tags: { team: 'ml' },
      }),
    );
    records.push(
      focusRecord({
        ...period,
        EffectiveCost: '20000',
        BilledCost: '20000',
        ServiceName: 'Amazon Simple Storage Service',
        ResourceId: 'logs',
        Tags: { team: 'data' },
      }),
    );
  }
  await deps.costs.putRecords(
    'seed',
    records.map((r) => keyedFocusRecord('aws', r)),
  );
});

describe('detectAnomalies on the cost store', () => {
  it('stores the anomalies even when publishing fails, and releases the claims so a later run alerts', async () => {
    const failing: EventPublisher = { publish: () => Promise.reject(new Error('bus unavailable')) };
    await expect(detect(X, failing)).rejects.toThrow('bus unavailable');
    expect(detected()).toEqual([]);

    const listed = await api('GET', `/v1/anomalies?from=${X}&to=${dayAt(X, 1)}`);
    expect(listed.status).toBe(200);
    // EC2 went from $1,000 to $11,000, and with it its team, the provider and the account ($21,000 → $31,000, +47.6%).
    expect(names(listed.body.anomalies)).toEqual([`account:111122223333`, `provider:aws`, `service:${EC2}`, 'team:ml']);
  });

  it('does not alert an anomaly marked expected, and alerts the others once', async () => {
    const feedback = await api('POST', `/v1/anomalies/${spend('spend', 'team', 'ml')}/feedback`, {
      body: { verdict: 'expected', note: 'planned training run' },
    });
    expect(feedback.status).toBe(200);
    expect(feedback.body.anomaly).toMatchObject({ dimension: 'team', key: 'ml', feedback: 'expected' });
    expect(feedback.body.feedback).toMatchObject({ verdict: 'expected', note: 'planned training run', by: 'local' });

    const anomalies = await detect(X);
    expect(names(anomalies)).toEqual([`account:111122223333`, `provider:aws`, `service:${EC2}`, 'team:ml']);
    const service = anomalies.find((a) => a.dimension === 'service')!;
    // A flat $1,000 baseline: the scale is 1% of it, $10.
    expect(service).toMatchObject({
      anomalyId: spend('spend', 'service', EC2),
      date: X,
      actual: 11000,
      expected: 1000,
      delta: '10000',
      deltaPercent: 1000,
      score: 1000,
      feedback: null,
    });
    expect(service.contributions).toEqual([
      { dimension: 'region', key: 'us-east-1', delta: '10000' },
      { dimension: 'account', key: '111122223333', delta: '10000' },
      { dimension: 'usageType', key: 'USE1-BoxUsage:p5.48xlarge', delta: '10000' },
      { dimension: 'resource', key: 'i-serve', delta: '10000' },
    ]);
    expect(anomalies.find((a) => a.dimension === 'team')!.feedback).toBe('expected');

    const events = detected();
    expect(events.map((e) => e.detail.dimension).sort()).toEqual(['account', 'provider', 'service']);
    const serviceEvent = events.find((e) => e.detail.dimension === 'service')!;
    expect(serviceEvent.detail).toMatchObject({
      alertKey: `anomaly:${service.anomalyId}`,
      anomalyId: service.anomalyId,
      delta: '10000',
      at: '2026-11-10T02:00:00.000Z',
    });

    await detect(X);
    expect(detected()).toHaveLength(3);
  });

  it('keeps an unreviewed spike in later baselines, and leaves it out once marked unexpected', async () => {
    // D: $1,500 against Mondays of $1,000 and the $11,000 spike: the spike's residual widens the scale to
    // 1.2533 × 10,000/56 = $223.80, so +$500 scores 2.2.
    expect(await detect(D)).toEqual([]);
    expect(detected()).toHaveLength(3);

    const marked = await api('POST', `/v1/anomalies/${spend('spend', 'service', EC2)}/feedback`, { body: { verdict: 'unexpected' } });
    expect(marked.status).toBe(200);
    expect(marked.body.feedback).toMatchObject({ verdict: 'unexpected', note: null });

    // Without the spike the service's baseline is flat again: scale $10, score 50. The team's spike was marked
    // expected, so the team's baseline keeps it and the team is not raised.
    const anomalies = await detect(D);
    expect(names(anomalies)).toEqual([`service:${EC2}`]);
    expect(anomalies[0]).toMatchObject({ date: D, actual: 1500, expected: 1000, delta: '500', score: 50, deltaPercent: 50 });
    expect(anomalies[0]!.contributions).toContainEqual({ dimension: 'resource', key: 'i-serve', delta: '500' });
    expect(detected()).toHaveLength(4);
    expect(detected()[3]!.detail).toMatchObject({ anomalyId: anomalies[0]!.anomalyId, date: D });
  });

  it('lists anomalies by day range and kind, newest day first, with their feedback', async () => {
    const listed = await api('GET', `/v1/anomalies?from=${X}&to=${dayAt(D, 1)}`, { token: readToken });
    expect(listed.status).toBe(200);
    expect(listed.body.from).toBe(X);
    expect(listed.body.to).toBe(dayAt(D, 1));
    const rows = listed.body.anomalies.map((a: AnomalyView) => `${a.date} ${a.dimension} ${a.delta} ${a.feedback}`);
    expect(rows[0]).toBe(`${D} service 500 null`);
    // Within a day, largest delta first; these four tie at $10,000.
    expect(rows.slice(1).sort()).toEqual([
      `${X} account 10000 null`,
      `${X} provider 10000 null`,
      `${X} service 10000 unexpected`,
      `${X} team 10000 expected`,
    ]);
    expect(listed.body.anomalies[0]).toMatchObject({ firstDetectedAt: '2026-11-17T02:00:00.000Z', detectedAt: '2026-11-17T02:00:00.000Z' });

    const onlyD = await api('GET', `/v1/anomalies?from=${D}&to=${dayAt(D, 1)}&kind=spend`);
    expect(onlyD.body.anomalies).toHaveLength(1);
    const drift = await api('GET', `/v1/anomalies?from=${X}&to=${dayAt(D, 1)}&kind=drift`);
    expect(drift.body.anomalies).toEqual([]);
  });
});

describe('detectAnomalies on LLM usage', () => {
  // Z: a Monday before X, whose costs are flat; usage of one workflow over Z's 56 days, doubled on Z.
  const Z = '2026-11-02';

  function usageDay(day: string, tokensPerRequest: number): UsageMinute {
    const totals = emptyTotals();
    totals.requests = 10_000;
    totals.inputTokens = 10_000 * (tokensPerRequest - 100);
    totals.outputTokens = 1_000_000;
    totals.cost = parseDecimal(String((10_000 * tokensPerRequest) / 100_000)); // $0.00001 a token
    totals.retries = 200;
    return { minute: Date.parse(`${day}T12:00:00Z`), dims: { workflow: 'support-triage', model: 'gpt-4o', team: 'support' }, totals };
  }

  it('raises drift in tokens per request and cost per request with their dollars, read a day at a time', async () => {
    const rollups: UsageMinute[] = [];
    for (let k = -56; k <= 0; k++)
      rollups.push(usageDay(dayAt(Z, k), k === 0 ? 2000 : 1000 + (Math.floor((k + 56) / 7) % 2 === 0 ? 10 : -10)));
    await deps.usage.applyRollups('seed-usage', rollups);

    const anomalies = await detect(Z);
    expect(names(anomalies)).toEqual([
      'model:gpt-4o:costPerRequest',
      'model:gpt-4o:tokensPerRequest',
      'workflow:support-triage:costPerRequest',
      'workflow:support-triage:tokensPerRequest',
    ]);
    expect(anomalies.find((a) => a.dimension === 'workflow' && a.metric === 'tokensPerRequest')).toMatchObject({
      kind: 'drift',
      actual: 2000,
      expected: 1000,
      delta: '100',
      score: 67.45,
      team: 'support',
    });
    const listed = await api('GET', `/v1/anomalies?from=${Z}&to=${dayAt(Z, 1)}&kind=drift`);
    expect(listed.body.anomalies).toHaveLength(4);
    expect(detected().filter((e) => e.detail.kind === 'drift')).toHaveLength(4);
  });
});

describe('anomaly routes refuse malformed requests, naming the field', () => {
  const someId = 'abcdefabcdefabcdefabcdef';

  it.each([
    ['a malformed day', '/v1/anomalies?from=2026-13-01&to=2026-11-02', 'from'],
    ['an unknown kind', '/v1/anomalies?kind=weird', 'kind'],
    ['from after to', '/v1/anomalies?from=2026-11-10&to=2026-11-01', 'from'],
    ['a window over 400 days', '/v1/anomalies?from=2020-01-01&to=2026-11-01', 'from'],
  ])('GET with %s answers 400', async (_case, path, field) => {
    const response = await api('GET', path);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(field);
  });

  it.each([
    ['a malformed id', '/v1/anomalies/not-an-id/feedback', { verdict: 'expected' }, 400, 'id'],
    ['an unknown verdict', `/v1/anomalies/${someId}/feedback`, { verdict: 'maybe' }, 400, 'verdict'],
    ['a note that is not text', `/v1/anomalies/${someId}/feedback`, { verdict: 'expected', note: 42 }, 400, 'note'],
    ['an unknown field', `/v1/anomalies/${someId}/feedback`, { verdict: 'expected', by: 'me' }, 400, 'by'],
    ['no such anomaly', `/v1/anomalies/${someId}/feedback`, { verdict: 'expected' }, 404, 'id'],
  ])('POST feedback with %s answers %i', async (_case, path, body, status, field) => {
    const response = await api('POST', path, { body });
    expect(response.status).toBe(status);
    expect(response.body.error.message).toContain(field);
  });

  it('POST feedback without a body answers 400, and with a read token 403', async () => {
    const empty = await api('POST', `/v1/anomalies/${someId}/feedback`, { body: '', headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('body');
    const reader = await api('POST', `/v1/anomalies/${someId}/feedback`, { body: { verdict: 'expected' }, token: readToken });
    expect(reader.status).toBe(403);
  });
});
