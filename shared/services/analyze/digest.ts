import { z } from 'zod';
import { digestReady, signalViewSchema, type BudgetStatusView } from '../../../events/analysis.js';
import type { DigestModel } from '../../domain/digest/digest-model.js';
import { renderDigestText } from '../../domain/digest/digest-render.js';
import { DAY_MS, dayOf } from '../../domain/core/utc-time.js';
import { ZERO, type Decimal, compareDecimal, formatDecimal, parseDecimal, sumDecimals, tryParseDecimal } from '../../domain/core/money.js';
import type { UnitEconomicsRow, UnitEconomicsScopeKind } from '../../domain/economics/unit-economics-row.js';
import { describeFailure } from './analysis-runs.js';
import { budgetStatuses } from '../budgets/budgets.js';
import { OBSERVATION_DAYS } from './economics.js';
import { raiseOnce } from '../notify/raise-once.js';
import type {
  AlertClaims,
  AnomalyRecords,
  BudgetList,
  CostRecords,
  DigestWriter,
  EconomicsRecords,
  SignalRecords,
  UsageMinutes,
} from '../stores.js';
import type { LedgerConfig } from '../../config.js';
import type { EventPublisher } from '../../adapters/events.js';
import { unitCostVariance, type VarianceComponents } from '../../domain/economics/variance.js';

const failedOutcome = z.object({ status: z.literal('failed'), error: z.string(), cause: z.unknown().optional() });

export const digestInputSchema = z.object({
  date: z.iso.date(),
  at: z.iso.datetime({ offset: true }),
  /** The Map's per-pool outcomes and the assessments' outcomes, for the failed scopes. */
  pools: z
    .array(z.union([failedOutcome.extend({ pool: z.string() }), z.looseObject({ pool: z.string(), status: z.literal('ok') })]))
    .default([]),
  assessments: z
    .array(z.union([failedOutcome.extend({ step: z.string() }), z.looseObject({ step: z.string(), status: z.literal('ok') })]))
    .default([]),
});
export type DigestInput = z.output<typeof digestInputSchema>;

/** Rows per scope kind in the digest's table: the fleet, then the largest pools, teams, workflows and models. */
const ROWS_PER_KIND = 8;
const DIGEST_KINDS: UnitEconomicsScopeKind[] = ['fleet', 'pool', 'team', 'workflow', 'model', 'namespace', 'job'];
const LLM_APIS = 'LLM APIs (priced usage)';

interface DigestDependencies {
  config: Pick<LedgerConfig, 'LEDGER_TEAM_TAG'>;
  costs: CostRecords;
  usage: UsageMinutes;
  economics: Pick<EconomicsRecords, 'rows'>;
  signals: Pick<SignalRecords, 'list'>;
  budgets: BudgetList;
  anomalies: Pick<AnomalyRecords, 'listAnomalies'>;
  digests: DigestWriter;
  alerts: AlertClaims;
  events: EventPublisher;
}

/**
 * The daily digest: spend by provider against the day before, the day's unit economics, the open signals by
 * dollar impact, budget status, the day's anomalies and a 30-day chart; stored under its date and announced once
 * with `digest.ready` (the notifier renders and sends it).
 */
export async function buildDigest(
  deps: DigestDependencies,
  input: DigestInput,
): Promise<{ date: string; totalSpend: string; announced: boolean }> {
  const nowMs = Date.parse(input.at);
  const day = Date.parse(`${input.date}T00:00:00Z`);
  const [current, previous] = await Promise.all([spendByProvider(deps, day, day + DAY_MS), spendByProvider(deps, day - DAY_MS, day)]);
  const providers = [...new Set([...current.keys(), ...previous.keys()])];
  const spend = providers
    .map((provider) => {
      const now = current.get(provider) ?? ZERO;
      const before = previous.get(provider) ?? ZERO;
      return { provider, current: formatDecimal(now), previous: formatDecimal(before), changePercent: change(now, before) };
    })
    .sort((a, b) => compareDecimal(parseDecimal(b.current), parseDecimal(a.current)));
  const total = sumDecimals(current.values());
  const totalBefore = sumDecimals(previous.values());

  const rows = await deps.economics.rows({ period: 'day', from: day, to: day + DAY_MS });
  const fleetDays = await deps.economics.rows({
    period: 'day',
    from: day - (OBSERVATION_DAYS - 1) * DAY_MS,
    to: day + DAY_MS,
    scopeKind: 'fleet',
    scope: '*',
  });
  const signals = (await deps.signals.list({ status: 'open', limit: 10 })).map((s) => signalViewSchema.parse(s));
  const budgets: BudgetStatusView[] = await budgetStatuses(deps, nowMs);
  // The store sets each anomaly's feedback from the verdict people gave.
  const anomalies = (await deps.anomalies.listAnomalies({ from: input.date, to: input.date })).map((a) => a.anomaly);

  const model: DigestModel = {
    date: input.date,
    from: new Date(day).toISOString(),
    to: new Date(day + DAY_MS).toISOString(),
    previousFrom: new Date(day - DAY_MS).toISOString(),
    previousTo: new Date(day).toISOString(),
    currency: 'USD',
    generatedAt: new Date(nowMs).toISOString(),
    totals: { current: formatDecimal(total), previous: formatDecimal(totalBefore), changePercent: change(total, totalBefore) },
    spendByProvider: spend,
    unitEconomics: digestRows(rows),
    unitCostChanges: fleetUnitCostChanges(fleetDays, day, {
      previous: await deps.economics.rows({ period: 'day', from: day - DAY_MS, to: day, scopeKind: 'pool' }),
      current: rows.filter((r) => r.scopeKind === 'pool'),
    }),
    signals,
    budgets,
    anomalies,
    chart: chartPoints(fleetDays, day),
    failedScopes: [
      ...input.pools.flatMap((p) => (p.status === 'failed' ? [{ scope: `pool ${p.pool}`, error: describeFailure(p.error, p.cause) }] : [])),
      ...input.assessments.flatMap((s) => (s.status === 'failed' ? [{ scope: s.step, error: describeFailure(s.error, s.cause) }] : [])),
    ],
  };
  await deps.digests.putDigest(model);

  const alertKey = `digest:${input.date}`;
  const event = digestReady.create({
    alertKey,
    date: input.date,
    totalSpend: model.totals.current,
    currency: 'USD',
    text: renderDigestText(model),
    at: model.generatedAt,
  });
  const announced = (await raiseOnce(deps, [{ alertKey, event }], nowMs)) > 0;
  return { date: input.date, totalSpend: model.totals.current, announced };
}

/** EffectiveCost by FOCUS provider name, plus priced LLM API usage, for [from, to). */
async function spendByProvider(deps: Pick<DigestDependencies, 'costs' | 'usage'>, from: number, to: number): Promise<Map<string, Decimal>> {
  const out = new Map<string, Decimal>();
  for await (const record of deps.costs.records({ from: new Date(from).toISOString(), to: new Date(to).toISOString() })) {
    out.set(record.ProviderName, (out.get(record.ProviderName) ?? ZERO) + (tryParseDecimal(record.EffectiveCost) ?? ZERO));
  }
  let api = ZERO;
  for (const minute of await deps.usage.usageMinutes({ from, to })) api += minute.totals.cost;
  if (api !== ZERO) out.set(LLM_APIS, api);
  return out;
}

/** The fleet's day against the day before, split by pool, in one line per unit cost that had a value both days. */
function fleetUnitCostChanges(fleetDays: readonly UnitEconomicsRow[], day: number, pools: VarianceComponents): string[] {
  const on = (ms: number) => fleetDays.find((r) => Date.parse(r.start) === ms);
  const current = on(day);
  const previous = on(day - DAY_MS);
  if (!current || !previous) return [];
  return unitCostVariance(previous, current, pools)
    .metrics.filter((m) => m.change !== null)
    .map((m) => m.summary);
}

function digestRows(rows: readonly UnitEconomicsRow[]): UnitEconomicsRow[] {
  const out: UnitEconomicsRow[] = [];
  for (const kind of DIGEST_KINDS) {
    const ofKind = rows.filter((r) => r.scopeKind === kind).sort((a, b) => compareDecimal(parseDecimal(b.cost), parseDecimal(a.cost)));
    out.push(...ofKind.slice(0, ROWS_PER_KIND));
  }
  return out;
}

function chartPoints(fleetDays: readonly UnitEconomicsRow[], lastDay: number): DigestModel['chart'] {
  const byDay = new Map(fleetDays.map((r) => [r.start.slice(0, 10), r]));
  const points: DigestModel['chart'] = [];
  for (let d = lastDay - (OBSERVATION_DAYS - 1) * DAY_MS; d <= lastDay; d += DAY_MS) {
    const date = dayOf(d);
    const row = byDay.get(date);
    if (!row && points.length === 0) continue; // start the chart at the first day with data
    points.push({ date, spend: row?.cost ?? '0', effectiveUtilization: row?.effectiveUtilization ?? null });
  }
  return points;
}

function change(now: Decimal, before: Decimal): number | null {
  if (before === ZERO) return null;
  return Math.round((Number(now - before) / Number(before)) * 1000) / 10;
}
