import { type AnomalyView } from '../anomalies/anomaly-view.js';
import { type BudgetStatusView } from '../budgets/budget-status-view.js';
import { type SignalView } from '../signals/signal-view.js';
import type { DigestModel } from './digest-model.js';
import { formatChange, formatMoney, formatMoneyDelta, formatQuantity } from '../core/display-format.js';
import { compareDecimal, parseDecimal, sumDecimals } from '../core/money.js';
import type { UnitEconomicsRow } from '../economics/unit-economics-row.js';

/** What the digest and the alerts show first: the orderings, selections and labels every output shares. */

export interface InlineImage {
  /** Referenced from the HTML as `cid:<contentId>`. */
  contentId: string;
  filename: string;
  contentType: 'image/png';
  content: Buffer;
}

/** One email, before addressing: the HTML and text alternatives and the images the HTML shows inline. */
export interface EmailContent {
  subject: string;
  html: string;
  text: string;
  inlineImages: InlineImage[];
}

/** The details of the events an alert is rendered from (events/analysis.ts defines them on these views). */
export type SignalRaisedDetail = SignalView & { alertKey: string };
export type BudgetBreachedDetail = BudgetStatusView & {
  alertKey: string;
  kind: 'actual' | 'forecast';
  thresholdPercent: number;
  at: string;
};
export type AnomalyDetectedDetail = AnomalyView & { alertKey: string; at: string };

/** A single alert as the bus carries it. */
export type AlertEvent =
  | { name: 'signal.raised'; detail: SignalRaisedDetail }
  | { name: 'budget.breached'; detail: BudgetBreachedDetail }
  | { name: 'anomaly.detected'; detail: AnomalyDetectedDetail };

export const digestChartContentId = 'digest-chart@compute-ledger';

// Ordering and selection

/** Largest monthly impact first; then higher confidence; then id, so the order is total. */
export function signalsByImpact(signals: readonly SignalView[]): SignalView[] {
  return [...signals].sort(
    (a, b) =>
      compareDecimal(parseDecimal(b.monthlyImpact), parseDecimal(a.monthlyImpact)) ||
      b.confidence - a.confidence ||
      a.signalId.localeCompare(b.signalId),
  );
}

/** A budget is at risk when it crossed a threshold, or its forecast reaches the amount. */
export function budgetAtRisk(budget: BudgetStatusView): boolean {
  return budget.crossed.actual.length > 0 || budget.crossed.forecast.length > 0 || budget.forecastPercent >= 100;
}

/** Worst first: the larger of actual and forecast percent. */
/** Budgets by runway: the soonest to run out first, then by the larger of actual and forecast percent. */
export function budgetsByRisk(budgets: readonly BudgetStatusView[]): BudgetStatusView[] {
  const risk = (b: BudgetStatusView) => Math.max(b.actualPercent, b.forecastPercent);
  const runsOut = (b: BudgetStatusView) => b.runway?.exhaustedOn ?? '\uffff';
  return [...budgets].sort((a, b) => runsOut(a).localeCompare(runsOut(b)) || risk(b) - risk(a) || a.name.localeCompare(b.name));
}

/** `runs out 2026-11-25 (in 7 days); $63.33 a day keeps it within`, or null when the status has no runway. */
export function runwayLabel(budget: BudgetStatusView): string | null {
  const r = budget.runway;
  if (!r) return null;
  const out =
    r.exhaustedOn === null
      ? 'stays within the period at this pace'
      : budget.actualPercent >= 100
        ? `ran out ${r.exhaustedOn}`
        : `runs out ${r.exhaustedOn}${r.daysLeft ? ` (in ${r.daysLeft} day${r.daysLeft === 1 ? '' : 's'})` : ''}`;
  const keep =
    r.dailySpendToStayWithin !== null && budget.actualPercent < 100
      ? `; ${formatMoney(r.dailySpendToStayWithin, budget.currency)} a day keeps it within`
      : '';
  return `${out}${keep}`;
}

/** Largest dollar move first; anomalies people marked as expected last. */
export function anomaliesByImpact(anomalies: readonly AnomalyView[]): AnomalyView[] {
  const size = (a: AnomalyView) => {
    const delta = parseDecimal(a.delta);
    return delta < 0n ? -delta : delta;
  };
  return [...anomalies].sort(
    (a, b) =>
      Number(a.feedback === 'expected') - Number(b.feedback === 'expected') ||
      compareDecimal(size(b), size(a)) ||
      Math.abs(b.score) - Math.abs(a.score) ||
      a.anomalyId.localeCompare(b.anomalyId),
  );
}

/** The fleet row first, then the largest cost. */
export function unitEconomicsByCost(rows: readonly UnitEconomicsRow[]): UnitEconomicsRow[] {
  return [...rows].sort(
    (a, b) =>
      Number(b.scopeKind === 'fleet') - Number(a.scopeKind === 'fleet') || compareDecimal(parseDecimal(b.cost), parseDecimal(a.cost)),
  );
}

export function unitEconomicsScopeLabel(row: Pick<UnitEconomicsRow, 'scopeKind' | 'scope'>): string {
  if (row.scopeKind === 'fleet') return 'Fleet';
  if (row.scopeKind === 'unallocated') return `Unallocated (${row.scope})`;
  return `${row.scopeKind} ${row.scope}`;
}

export function budgetScopeLabel(scope: Record<string, string>): string {
  const parts = Object.entries(scope).map(([key, value]) => `${key} ${value}`);
  return parts.length ? parts.join(' · ') : 'everything';
}

export function budgetState(budget: BudgetStatusView): { label: string; tone: Tone } {
  if (budget.actualPercent >= 100) return { label: 'Over budget', tone: 'bad' };
  if (budget.forecastPercent >= 100) return { label: 'Forecast over', tone: 'bad' };
  if (budgetAtRisk(budget)) return { label: 'Watch', tone: 'warn' };
  return { label: 'On track', tone: 'good' };
}

export function anomalySeries(anomaly: AnomalyView): string {
  return `${anomaly.dimension} ${anomaly.key}`;
}

/** Spend anomalies are dollars; drift values are in their metric's own unit. */
export function anomalyValue(anomaly: AnomalyView, value: number): string {
  return anomaly.kind === 'spend' ? formatMoney(String(value), anomaly.currency) : formatQuantity(value, 3);
}

/**
 * What moved, as people say it. Spend: `+$1,200.00 (▲ 85.0%) vs expected $1,411.76`. Drift: `1,850 vs expected 1,200
 * (▲ 54.2%)`, with its dollar effect when it could be priced.
 */
export function anomalyChange(anomaly: AnomalyView): string {
  if (anomaly.kind === 'spend') {
    return `${formatMoneyDelta(anomaly.delta, anomaly.currency)} (${formatChange(anomaly.deltaPercent)}) vs expected ${anomalyValue(anomaly, anomaly.expected)}`;
  }
  const priced = parseDecimal(anomaly.delta) === 0n ? '' : `, ${formatMoneyDelta(anomaly.delta, anomaly.currency)}`;
  return `${anomalyValue(anomaly, anomaly.actual)} vs expected ${anomalyValue(anomaly, anomaly.expected)} (${formatChange(anomaly.deltaPercent)})${priced}`;
}

export function topContributions(anomaly: AnomalyView, count: number): string[] {
  return anomaly.contributions.slice(0, count).map((c) => `${c.dimension} ${c.key} ${formatMoneyDelta(c.delta, anomaly.currency)}`);
}

export function signalsTotal(signals: readonly SignalView[]): bigint {
  return sumDecimals(signals.map((s) => parseDecimal(s.monthlyImpact)));
}

export function sortedProviders(model: DigestModel) {
  return [...model.spendByProvider].sort(
    (a, b) => compareDecimal(parseDecimal(b.current), parseDecimal(a.current)) || a.provider.localeCompare(b.provider),
  );
}

export function fleetRow(model: DigestModel): UnitEconomicsRow | undefined {
  return model.unitEconomics.find((row) => row.scopeKind === 'fleet');
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export type Tone = 'good' | 'bad' | 'warn' | 'muted';
export const toneColor: Record<Tone, string> = { good: '#067647', bad: '#b42318', warn: '#b54708', muted: '#667085' };

export function changeTone(percent: number | null): Tone {
  if (percent === null || Number(percent.toFixed(1)) === 0) return 'muted';
  return percent > 0 ? 'bad' : 'good';
}
