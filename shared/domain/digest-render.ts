import type { z } from 'zod';
import type { anomalyDetected, AnomalyView, budgetBreached, BudgetStatusView, signalRaised, SignalView } from '../../events/analysis.js';
import { renderSpendChartPng } from './chart-png.js';
import type { DigestModel } from './digest-model.js';
import {
  formatChange,
  formatConfidence,
  formatMoney,
  formatMoneyDelta,
  formatPercent,
  formatQuantity,
  formatRatio,
  formatUnitPrice,
  lastDayBefore,
  periodLabel,
} from './display-format.js';
import { compareDecimal, parseDecimal, sumDecimals } from './money.js';
import {
  contextBlock,
  dividerBlock,
  escapeMrkdwn,
  fieldsBlock,
  fitBlockKitLimits,
  headerBlock,
  sectionBlock,
  type SlackBlock,
  type SlackMessage,
} from './slack-blocks.js';
import type { UnitEconomicsRow } from './unit-economics-row.js';

/**
 * What the notifier sends, rendered from data: the daily digest (email HTML with the chart inline, a short plain
 * text, Slack Block Kit) and single alerts (signal raised, budget breached, anomaly detected). Pure: the same model
 * gives the same output. Everything is ordered by what matters most: dollars first.
 */

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

export type SignalRaisedDetail = z.output<typeof signalRaised.schema>;
export type BudgetBreachedDetail = z.output<typeof budgetBreached.schema>;
export type AnomalyDetectedDetail = z.output<typeof anomalyDetected.schema>;

/** A single alert as the bus carries it. */
export type AlertEvent =
  | { name: 'signal.raised'; detail: SignalRaisedDetail }
  | { name: 'budget.breached'; detail: BudgetBreachedDetail }
  | { name: 'anomaly.detected'; detail: AnomalyDetectedDetail };

export const digestChartContentId = 'digest-chart@compute-ledger';

// ---------------------------------------------------------------------------------------------------------------
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
export function budgetsByRisk(budgets: readonly BudgetStatusView[]): BudgetStatusView[] {
  const risk = (b: BudgetStatusView) => Math.max(b.actualPercent, b.forecastPercent);
  return [...budgets].sort((a, b) => risk(b) - risk(a) || a.name.localeCompare(b.name));
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
    (a, b) => Number(b.scopeKind === 'fleet') - Number(a.scopeKind === 'fleet') || compareDecimal(parseDecimal(b.cost), parseDecimal(a.cost)),
  );
}

export function unitEconomicsScopeLabel(row: Pick<UnitEconomicsRow, 'scopeKind' | 'scope'>): string {
  if (row.scopeKind === 'fleet') return 'Fleet';
  if (row.scopeKind === 'unallocated') return `Unallocated (${row.scope})`;
  return `${row.scopeKind} ${row.scope}`;
}

function budgetScopeLabel(scope: Record<string, string>): string {
  const parts = Object.entries(scope).map(([key, value]) => `${key} ${value}`);
  return parts.length ? parts.join(' · ') : 'everything';
}

function budgetState(budget: BudgetStatusView): { label: string; tone: Tone } {
  if (budget.actualPercent >= 100) return { label: 'Over budget', tone: 'bad' };
  if (budget.forecastPercent >= 100) return { label: 'Forecast over', tone: 'bad' };
  if (budgetAtRisk(budget)) return { label: 'Watch', tone: 'warn' };
  return { label: 'On track', tone: 'good' };
}

function anomalySeries(anomaly: AnomalyView): string {
  return `${anomaly.dimension} ${anomaly.key}`;
}

/** Spend anomalies are dollars; drift values are in their metric's own unit. */
function anomalyValue(anomaly: AnomalyView, value: number): string {
  return anomaly.kind === 'spend' ? formatMoney(String(value), anomaly.currency) : formatQuantity(value, 3);
}

/**
 * What moved, as people say it. Spend: `+$1,200.00 (▲ 85.0%) vs expected $1,411.76`. Drift: `1,850 vs expected 1,200
 * (▲ 54.2%)`, with its dollar effect when it could be priced.
 */
function anomalyChange(anomaly: AnomalyView): string {
  if (anomaly.kind === 'spend') {
    return `${formatMoneyDelta(anomaly.delta, anomaly.currency)} (${formatChange(anomaly.deltaPercent)}) vs expected ${anomalyValue(anomaly, anomaly.expected)}`;
  }
  const priced = parseDecimal(anomaly.delta) === 0n ? '' : `, ${formatMoneyDelta(anomaly.delta, anomaly.currency)}`;
  return `${anomalyValue(anomaly, anomaly.actual)} vs expected ${anomalyValue(anomaly, anomaly.expected)} (${formatChange(anomaly.deltaPercent)})${priced}`;
}

function topContributions(anomaly: AnomalyView, count: number): string[] {
  return anomaly.contributions.slice(0, count).map((c) => `${c.dimension} ${c.key} ${formatMoneyDelta(c.delta, anomaly.currency)}`);
}

function signalsTotal(signals: readonly SignalView[]): bigint {
  return sumDecimals(signals.map((s) => parseDecimal(s.monthlyImpact)));
}

function sortedProviders(model: DigestModel) {
  return [...model.spendByProvider].sort((a, b) => compareDecimal(parseDecimal(b.current), parseDecimal(a.current)) || a.provider.localeCompare(b.provider));
}

function fleetRow(model: DigestModel): UnitEconomicsRow | undefined {
  return model.unitEconomics.find((row) => row.scopeKind === 'fleet');
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Digest: subject and plain text

export function digestSubject(model: DigestModel): string {
  const spend = `${formatMoney(model.totals.current, model.currency)} spend (${formatChange(model.totals.changePercent)})`;
  const signals = model.signals.length
    ? `, ${plural(model.signals.length, 'signal')} worth ${formatMoney(signalsTotal(model.signals), model.currency)}/month`
    : '';
  const risky = model.budgets.filter(budgetAtRisk).length;
  const budgets = risky ? `, ${plural(risky, 'budget')} at risk` : '';
  return `Compute Ledger digest ${model.date}: ${spend}${signals}${budgets}`;
}

const TEXT_LIMIT = 3;

/** The short version: what `npm start -- --once` prints and the email's text part. */
export function renderDigestText(model: DigestModel): string {
  const money = (amount: string | bigint) => formatMoney(amount, model.currency);
  const lines: string[] = [];
  lines.push(`Compute Ledger digest for ${periodLabel(model.from, model.to)} (compared with ${periodLabel(model.previousFrom, model.previousTo)})`);
  lines.push(`Total spend: ${money(model.totals.current)}, ${formatChange(model.totals.changePercent)} vs ${money(model.totals.previous)}`);

  const providers = sortedProviders(model);
  if (providers.length) {
    lines.push('By provider:');
    const width = Math.max(...providers.map((p) => p.provider.length));
    for (const p of providers.slice(0, 5)) {
      lines.push(`  ${p.provider.padEnd(width)}  ${money(p.current).padStart(14)}  ${formatChange(p.changePercent).padEnd(9)} (was ${money(p.previous)})`);
    }
    if (providers.length > 5) lines.push(`  and ${plural(providers.length - 5, 'more provider')}`);
  }

  const fleet = fleetRow(model);
  if (fleet) {
    // Only the measures the fleet has: no GPUs measured, or no tokens served, leaves theirs out.
    const parts = [
      fleet.costPerEffectiveGpuHour !== null ? `${formatUnitPrice(fleet.costPerEffectiveGpuHour, model.currency)} per effective GPU-hour` : null,
      fleet.effectiveUtilization !== null ? `${formatRatio(fleet.effectiveUtilization)} effective utilization` : null,
      fleet.paidGpuHours > 0 ? `idle cost ${money(fleet.idleCost)}${parseDecimal(fleet.idleHeldCost) > 0n ? ` (${money(fleet.idleHeldCost)} of it on GPUs held idle with memory in use)` : ''}` : null,
      fleet.costPerMillionTokens !== null ? `${formatUnitPrice(fleet.costPerMillionTokens, model.currency)} per million tokens` : null,
    ].filter((part) => part !== null);
    if (parts.length) lines.push(`Fleet: ${parts.join(', ')}`);
  }

  const signals = signalsByImpact(model.signals);
  if (signals.length) {
    lines.push(`Top signals (${plural(signals.length, 'open signal')}, ${money(signalsTotal(signals))}/month at stake):`);
    for (const [i, s] of signals.slice(0, TEXT_LIMIT).entries()) {
      lines.push(`  ${i + 1}. ${money(s.monthlyImpact)}/month  ${s.title} (${s.type}, ${formatConfidence(s.confidence)} confidence)`);
    }
  } else {
    lines.push('Signals: none open.');
  }

  const atRisk = budgetsByRisk(model.budgets).filter(budgetAtRisk);
  if (atRisk.length) {
    lines.push(`Budgets at risk (${atRisk.length} of ${model.budgets.length}):`);
    for (const b of atRisk.slice(0, TEXT_LIMIT)) {
      lines.push(
        `  - ${b.name}: ${formatPercent(b.actualPercent)} spent, forecast ${formatPercent(b.forecastPercent)} of ${formatMoney(b.amount, b.currency)} by ${lastDayBefore(b.periodEnd)}`,
      );
    }
    if (atRisk.length > TEXT_LIMIT) lines.push(`  and ${plural(atRisk.length - TEXT_LIMIT, 'more budget')} at risk`);
  } else {
    lines.push(model.budgets.length ? `Budgets: all ${model.budgets.length} on track.` : 'Budgets: none set.');
  }

  const anomalies = anomaliesByImpact(model.anomalies);
  if (anomalies.length) {
    lines.push(`Anomalies (${anomalies.length}):`);
    for (const a of anomalies.slice(0, TEXT_LIMIT)) {
      const cause = topContributions(a, 1)[0];
      lines.push(
        `  - ${anomalySeries(a)} ${a.metric} on ${a.date}: ${anomalyChange(a)}` +
          `${cause ? `; top cause ${cause}` : ''}${a.feedback === 'expected' ? ' (marked expected)' : ''}`,
      );
    }
    if (anomalies.length > TEXT_LIMIT) lines.push(`  and ${plural(anomalies.length - TEXT_LIMIT, 'more anomaly', 'more anomalies')}`);
  } else {
    lines.push('Anomalies: none.');
  }

  if (model.failedScopes.length) {
    const shown = model.failedScopes.slice(0, TEXT_LIMIT).map((f) => `${f.scope} (${f.error})`);
    const more = model.failedScopes.length > TEXT_LIMIT ? ` and ${model.failedScopes.length - TEXT_LIMIT} more` : '';
    lines.push(`Failed scopes (${model.failedScopes.length}): ${shown.join('; ')}${more}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// HTML building blocks: tables and inline styles only, as email clients need.

type Tone = 'good' | 'bad' | 'warn' | 'muted';
const toneColor: Record<Tone, string> = { good: '#067647', bad: '#b42318', warn: '#b54708', muted: '#667085' };
const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** For cost, up is bad. */
function changeTone(percent: number | null): Tone {
  if (percent === null || Number(percent.toFixed(1)) === 0) return 'muted';
  return percent > 0 ? 'bad' : 'good';
}

function coloured(text: string, tone: Tone, bold = false): string {
  return `<span style="color:${toneColor[tone]};${bold ? 'font-weight:600;' : ''}">${escapeHtml(text)}</span>`;
}

interface Column {
  label: string;
  align?: 'left' | 'right';
}

/** Cells are HTML already (escaped by the caller). */
function dataTable(columns: Column[], rows: string[][]): string {
  const th = columns
    .map(
      (c) =>
        `<th align="${c.align ?? 'left'}" style="padding:6px 8px;border-bottom:2px solid #d0d5dd;font-size:12px;font-weight:600;color:#475467;white-space:nowrap;">${escapeHtml(c.label)}</th>`,
    )
    .join('');
  const body = rows
    .map(
      (row, i) =>
        `<tr style="background:${i % 2 ? '#f9fafb' : '#ffffff'};">${row
          .map((cell, j) => `<td align="${columns[j]?.align ?? 'left'}" style="padding:6px 8px;border-bottom:1px solid #eaecf0;font-size:13px;vertical-align:top;">${cell}</td>`)
          .join('')}</tr>`,
    )
    .join('');
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;${FONT};"><tr>${th}</tr>${body}</table>`;
}

function sectionRow(title: string, subtitle: string, inner: string): string {
  return `<tr><td style="padding:18px 20px 4px;${FONT};">
<h2 style="margin:0 0 2px;font-size:17px;color:#101828;">${escapeHtml(title)}</h2>
${subtitle ? `<p style="margin:0 0 10px;font-size:13px;color:#667085;">${escapeHtml(subtitle)}</p>` : ''}
${inner}
</td></tr>`;
}

function paragraph(html: string): string {
  return `<p style="margin:0 0 8px;font-size:14px;color:#344054;${FONT};">${html}</p>`;
}

function emailShell(title: string, rows: string[], footer: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:0;background:#f2f4f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f2f4f7;"><tr><td align="center" style="padding:24px 8px;">
<table role="presentation" width="760" cellpadding="0" cellspacing="0" style="width:760px;max-width:100%;background:#ffffff;border:1px solid #eaecf0;border-radius:6px;${FONT};color:#101828;">
${rows.join('\n')}
<tr><td style="padding:16px 20px 20px;font-size:12px;color:#98a2b3;${FONT};">${footer}</td></tr>
</table>
</td></tr></table>
</body></html>
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Digest: HTML

const HTML_ROWS = { unitEconomics: 30, signals: 10, anomalies: 10, failedScopes: 20 } as const;

export interface DigestHtmlOptions {
  /** Where the chart image is: `cid:<id>` in email, a relative file name on disk. */
  chartSrc: string;
}

export function renderDigestHtml(model: DigestModel, options: DigestHtmlOptions): string {
  const money = (amount: string | bigint) => escapeHtml(formatMoney(amount, model.currency));
  const unit = (amount: string | null) => escapeHtml(formatUnitPrice(amount, model.currency));
  const rows: string[] = [];

  rows.push(`<tr><td style="padding:22px 20px 6px;${FONT};">
<p style="margin:0;font-size:12px;letter-spacing:0.06em;text-transform:uppercase;color:#667085;">Compute Ledger · daily digest</p>
<h1 style="margin:4px 0 0;font-size:22px;color:#101828;">${escapeHtml(periodLabel(model.from, model.to))}</h1>
</td></tr>`);
  rows.push(`<tr><td style="padding:8px 20px 4px;${FONT};">
<p style="margin:0;font-size:13px;color:#667085;">Total spend</p>
<p style="margin:2px 0 0;font-size:30px;font-weight:700;color:#101828;">${money(model.totals.current)}
<span style="font-size:16px;font-weight:600;color:${toneColor[changeTone(model.totals.changePercent)]};">${escapeHtml(formatChange(model.totals.changePercent))}</span></p>
<p style="margin:2px 0 0;font-size:13px;color:#667085;">vs ${money(model.totals.previous)} in ${escapeHtml(periodLabel(model.previousFrom, model.previousTo))}</p>
</td></tr>`);
  rows.push(`<tr><td style="padding:14px 20px 0;">
<img src="${escapeHtml(options.chartSrc)}" width="720" alt="Daily spend (bars) and effective GPU utilization (line)" style="display:block;width:100%;max-width:720px;height:auto;border:0;">
</td></tr>`);

  const providers = sortedProviders(model);
  if (providers.length) {
    rows.push(
      sectionRow(
        'Spend by provider',
        `Compared with ${periodLabel(model.previousFrom, model.previousTo)}`,
        dataTable(
          [{ label: 'Provider' }, { label: 'Spend', align: 'right' }, { label: 'Previous', align: 'right' }, { label: 'Change', align: 'right' }],
          providers.map((p) => [
            `<strong>${escapeHtml(p.provider)}</strong>`,
            money(p.current),
            money(p.previous),
            coloured(formatChange(p.changePercent), changeTone(p.changePercent), true),
          ]),
        ),
      ),
    );
  }

  if (model.unitEconomics.length) {
    const sorted = unitEconomicsByCost(model.unitEconomics);
    const shown = sorted.slice(0, HTML_ROWS.unitEconomics);
    rows.push(
      sectionRow(
        'Unit economics',
        'Effective GPU-hours count SM activity, not just allocation; idle cost is what paid GPU-hours cost while idle; idle-held, the part of it spent on GPUs idle with their memory held.',
        dataTable(
          [
            { label: 'Scope' },
            { label: 'Cost', align: 'right' },
            { label: 'Paid GPU-h', align: 'right' },
            { label: 'Effective GPU-h', align: 'right' },
            { label: 'Utilization', align: 'right' },
            { label: 'Idle cost', align: 'right' },
            { label: 'Idle-held', align: 'right' },
            { label: '$/effective GPU-h', align: 'right' },
            { label: '$/M tokens', align: 'right' },
            { label: '$/1k requests', align: 'right' },
            { label: 'kWh/M tokens', align: 'right' },
          ],
          shown.map((r) => [
            r.scopeKind === 'fleet' ? `<strong>${escapeHtml(unitEconomicsScopeLabel(r))}</strong>` : escapeHtml(unitEconomicsScopeLabel(r)),
            money(r.cost),
            escapeHtml(formatQuantity(r.paidGpuHours)),
            escapeHtml(formatQuantity(r.effectiveGpuHours)),
            escapeHtml(formatRatio(r.effectiveUtilization)),
            money(r.idleCost),
            money(r.idleHeldCost),
            unit(r.costPerEffectiveGpuHour),
            unit(r.costPerMillionTokens),
            unit(r.costPer1kRequests),
            escapeHtml(formatQuantity(r.kwhPerMillionTokens, 2)),
          ]),
        ) + (sorted.length > shown.length ? paragraph(`<br>${escapeHtml(`and ${plural(sorted.length - shown.length, 'more scope')}, smaller by cost`)}`) : ''),
      ),
    );
  }

  const signals = signalsByImpact(model.signals);
  rows.push(
    sectionRow(
      'Top signals',
      signals.length ? `${plural(signals.length, 'open signal')}, ${formatMoney(signalsTotal(signals), model.currency)} a month at stake, largest first` : '',
      signals.length
        ? dataTable(
            [{ label: '#' }, { label: 'Signal' }, { label: 'Impact / month', align: 'right' }, { label: 'Confidence', align: 'right' }],
            signals
              .slice(0, HTML_ROWS.signals)
              .map((s, i) => [
                String(i + 1),
                `<strong>${escapeHtml(s.title)}</strong><br><span style="color:#667085;font-size:12px;">${escapeHtml(s.type)} · ${escapeHtml(s.subject)}${s.team ? ` · team ${escapeHtml(s.team)}` : ''}</span><br>${escapeHtml(s.summary)}`,
                `<strong>${money(s.monthlyImpact)}</strong>`,
                escapeHtml(formatConfidence(s.confidence)),
              ]),
          ) + (signals.length > HTML_ROWS.signals ? paragraph(`<br>and ${escapeHtml(plural(signals.length - HTML_ROWS.signals, 'more signal'))}`) : '')
        : paragraph('No open signals.'),
    ),
  );

  const budgets = budgetsByRisk(model.budgets);
  rows.push(
    sectionRow(
      'Budgets',
      budgets.length ? `${budgets.filter(budgetAtRisk).length} of ${budgets.length} at risk, worst first` : '',
      budgets.length
        ? dataTable(
            [
              { label: 'Budget' },
              { label: 'Period' },
              { label: 'Spent', align: 'right' },
              { label: 'Actual', align: 'right' },
              { label: 'Forecast', align: 'right' },
              { label: 'Status' },
            ],
            budgets.map((b) => {
              const state = budgetState(b);
              return [
                `<strong>${escapeHtml(b.name)}</strong><br><span style="color:#667085;font-size:12px;">${escapeHtml(budgetScopeLabel(b.scope))}</span>`,
                escapeHtml(periodLabel(b.periodStart, b.periodEnd)),
                `${escapeHtml(formatMoney(b.actual, b.currency))} of ${escapeHtml(formatMoney(b.amount, b.currency))}`,
                coloured(formatPercent(b.actualPercent), b.actualPercent >= 100 ? 'bad' : 'muted'),
                coloured(formatPercent(b.forecastPercent), b.forecastPercent >= 100 ? 'bad' : 'muted'),
                coloured(state.label, state.tone, true),
              ];
            }),
          )
        : paragraph('No budgets set.'),
    ),
  );

  const anomalies = anomaliesByImpact(model.anomalies);
  rows.push(
    sectionRow(
      'Anomalies',
      anomalies.length ? `${plural(anomalies.length, 'anomaly', 'anomalies')}, largest dollar effect first` : '',
      anomalies.length
        ? dataTable(
            [{ label: 'Series' }, { label: 'Day' }, { label: 'Actual', align: 'right' }, { label: 'Expected', align: 'right' }, { label: 'Change', align: 'right' }, { label: 'Root cause' }],
            anomalies.slice(0, HTML_ROWS.anomalies).map((a) => [
              `<strong>${escapeHtml(anomalySeries(a))}</strong><br><span style="color:#667085;font-size:12px;">${escapeHtml(a.metric)} · score ${escapeHtml(a.score.toFixed(1))}${a.feedback ? ` · marked ${escapeHtml(a.feedback)}` : ''}</span>`,
              escapeHtml(a.date),
              escapeHtml(anomalyValue(a, a.actual)),
              escapeHtml(anomalyValue(a, a.expected)),
              coloured(a.kind === 'spend' || parseDecimal(a.delta) !== 0n ? `${formatMoneyDelta(a.delta, a.currency)} (${formatChange(a.deltaPercent)})` : formatChange(a.deltaPercent), changeTone(a.deltaPercent), true),
              topContributions(a, 3).map(escapeHtml).join('<br>') || '—',
            ]),
          ) + (anomalies.length > HTML_ROWS.anomalies ? paragraph(`<br>and ${escapeHtml(plural(anomalies.length - HTML_ROWS.anomalies, 'more anomaly', 'more anomalies'))}`) : '')
        : paragraph('No anomalies.'),
    ),
  );

  if (model.failedScopes.length) {
    rows.push(
      sectionRow(
        'Failed scopes',
        'These scopes could not be analysed in this run; their numbers above are missing or stale.',
        dataTable(
          [{ label: 'Scope' }, { label: 'Error' }],
          model.failedScopes.slice(0, HTML_ROWS.failedScopes).map((f) => [coloured(f.scope, 'bad', true), escapeHtml(f.error)]),
        ),
      ),
    );
  }

  return emailShell(
    `Compute Ledger digest ${model.date}`,
    rows,
    `Generated ${escapeHtml(model.generatedAt)} by Compute Ledger. Amounts in ${escapeHtml(model.currency)}; ▲ ▼ compare with ${escapeHtml(periodLabel(model.previousFrom, model.previousTo))}.`,
  );
}

/** The digest email: HTML with the chart inline (cid:), the text version, and the chart PNG. */
export function renderDigestEmail(model: DigestModel): EmailContent {
  return {
    subject: digestSubject(model),
    html: renderDigestHtml(model, { chartSrc: `cid:${digestChartContentId}` }),
    text: renderDigestText(model),
    inlineImages: [
      { contentId: digestChartContentId, filename: `spend-${model.date}.png`, contentType: 'image/png', content: renderSpendChartPng(model.chart, { currency: model.currency }) },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Digest: Slack

const SLACK_ROWS = { unitEconomics: 10, signals: 5, budgets: 5, anomalies: 5, failedScopes: 5 } as const;

/** A fixed-width table in a code block (Slack has no tables); columns padded to their widest cell. */
function codeTable(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return ['```', line(header), ...rows.map(line), '```'].join('\n');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function renderDigestSlack(model: DigestModel): SlackMessage {
  const money = (amount: string | bigint) => formatMoney(amount, model.currency);
  const blocks: SlackBlock[] = [];
  blocks.push(headerBlock(`Compute Ledger digest · ${periodLabel(model.from, model.to)}`));
  blocks.push(
    sectionBlock(
      `*Total spend ${money(model.totals.current)}*  ${formatChange(model.totals.changePercent)} vs ${money(model.totals.previous)} ` +
        `(${escapeMrkdwn(periodLabel(model.previousFrom, model.previousTo))})`,
    ),
  );
  const providers = sortedProviders(model);
  if (providers.length) {
    blocks.push(fieldsBlock(providers.slice(0, 10).map((p) => `*${escapeMrkdwn(p.provider)}*\n${money(p.current)}  ${formatChange(p.changePercent)}`)));
  }

  if (model.unitEconomics.length) {
    const rows = unitEconomicsByCost(model.unitEconomics).slice(0, SLACK_ROWS.unitEconomics);
    blocks.push(dividerBlock);
    blocks.push(
      sectionBlock(
        `*Unit economics*\n${escapeMrkdwn(
          codeTable(
            ['scope', 'cost', 'util', 'idle cost', '$/eff GPU-h', '$/M tok', '$/1k req'],
            rows.map((r) => [
              clip(unitEconomicsScopeLabel(r), 24),
              money(r.cost),
              formatRatio(r.effectiveUtilization),
              money(r.idleCost),
              formatUnitPrice(r.costPerEffectiveGpuHour, r.currency),
              formatUnitPrice(r.costPerMillionTokens, r.currency),
              formatUnitPrice(r.costPer1kRequests, r.currency),
            ]),
            [false, true, true, true, true, true, true],
          ),
        )}`,
      ),
    );
  }

  const signals = signalsByImpact(model.signals);
  blocks.push(dividerBlock);
  blocks.push(
    sectionBlock(
      signals.length ? `*Top signals* · ${plural(signals.length, 'open signal')}, *${money(signalsTotal(signals))}/month* at stake` : '*Signals* · none open',
    ),
  );
  for (const [i, s] of signals.slice(0, SLACK_ROWS.signals).entries()) {
    blocks.push(
      sectionBlock(
        `*${i + 1}. ${escapeMrkdwn(s.title)}*  ·  *${money(s.monthlyImpact)}/month*  ·  ${formatConfidence(s.confidence)} confidence\n${escapeMrkdwn(s.summary)}`,
      ),
    );
  }
  if (signals.length > SLACK_ROWS.signals) blocks.push(contextBlock(`and ${plural(signals.length - SLACK_ROWS.signals, 'more signal')} in the email digest`));

  const atRisk = budgetsByRisk(model.budgets).filter(budgetAtRisk);
  blocks.push(dividerBlock);
  if (atRisk.length) {
    const lines = atRisk
      .slice(0, SLACK_ROWS.budgets)
      .map(
        (b) =>
          `• *${escapeMrkdwn(b.name)}* (${escapeMrkdwn(budgetScopeLabel(b.scope))}): ${formatPercent(b.actualPercent)} spent, ` +
          `forecast *${formatPercent(b.forecastPercent)}* of ${formatMoney(b.amount, b.currency)} by ${lastDayBefore(b.periodEnd)}`,
      );
    if (atRisk.length > SLACK_ROWS.budgets) lines.push(`and ${plural(atRisk.length - SLACK_ROWS.budgets, 'more budget')} at risk`);
    blocks.push(sectionBlock(`*Budgets at risk* · ${atRisk.length} of ${model.budgets.length}\n${lines.join('\n')}`));
  } else {
    blocks.push(sectionBlock(model.budgets.length ? `*Budgets* · all ${model.budgets.length} on track` : '*Budgets* · none set'));
  }

  const anomalies = anomaliesByImpact(model.anomalies);
  if (anomalies.length) {
    const lines = anomalies.slice(0, SLACK_ROWS.anomalies).map((a) => {
      const cause = topContributions(a, 2);
      return (
        `• *${escapeMrkdwn(anomalySeries(a))}* ${escapeMrkdwn(a.metric)} on ${a.date}: ${escapeMrkdwn(anomalyChange(a))}` +
        `${cause.length ? `; ${escapeMrkdwn(cause.join(', '))}` : ''}${a.feedback === 'expected' ? ' _(marked expected)_' : ''}`
      );
    });
    if (anomalies.length > SLACK_ROWS.anomalies) lines.push(`and ${plural(anomalies.length - SLACK_ROWS.anomalies, 'more anomaly', 'more anomalies')}`);
    blocks.push(sectionBlock(`*Anomalies* · ${anomalies.length}\n${lines.join('\n')}`));
  } else {
    blocks.push(sectionBlock('*Anomalies* · none'));
  }

  if (model.failedScopes.length) {
    const lines = model.failedScopes.slice(0, SLACK_ROWS.failedScopes).map((f) => `• \`${escapeMrkdwn(f.scope)}\`: ${escapeMrkdwn(f.error)}`);
    if (model.failedScopes.length > SLACK_ROWS.failedScopes) lines.push(`and ${model.failedScopes.length - SLACK_ROWS.failedScopes} more`);
    blocks.push(sectionBlock(`:warning: *Failed scopes* · ${model.failedScopes.length}\n${lines.join('\n')}`));
  }
  blocks.push(contextBlock(`Generated ${escapeMrkdwn(model.generatedAt)} · amounts in ${escapeMrkdwn(model.currency)} · the email digest has the chart and every row`));
  return fitBlockKitLimits({ text: digestSubject(model), blocks });
}

// ---------------------------------------------------------------------------------------------------------------
// Single alerts

export function alertSubject(alert: AlertEvent): string {
  switch (alert.name) {
    case 'signal.raised': {
      const s = alert.detail;
      return `Signal: ${s.title} (${formatMoney(s.monthlyImpact, s.currency)}/month)`;
    }
    case 'budget.breached': {
      const b = alert.detail;
      const value = b.kind === 'actual' ? `${formatPercent(b.actualPercent)} spent` : `forecast ${formatPercent(b.forecastPercent)}`;
      return `Budget ${b.name}: ${value} of ${formatMoney(b.amount, b.currency)} (${b.kind} threshold ${b.thresholdPercent}% crossed)`;
    }
    case 'anomaly.detected': {
      const a = alert.detail;
      return `Anomaly: ${anomalySeries(a)} ${a.metric} on ${a.date}: ${anomalyChange(a)}`;
    }
  }
}

interface AlertFacts {
  /** One or two sentences, plain text. */
  lead: string;
  facts: Array<[string, string]>;
  /** Extra lines (evidence, root cause), plain text. */
  details: { title: string; lines: string[] } | null;
  footer: string;
}

function alertFacts(alert: AlertEvent): AlertFacts {
  switch (alert.name) {
    case 'signal.raised': {
      const s = alert.detail;
      return {
        lead: s.summary,
        facts: [
          ['Impact', `${formatMoney(s.monthlyImpact, s.currency)}/month`],
          ['Confidence', formatConfidence(s.confidence)],
          ['Type', s.type],
          ['Subject', s.subject],
          ...(s.team ? ([['Team', s.team]] as Array<[string, string]>) : []),
          ['First raised', s.firstRaisedAt],
        ],
        details: Object.keys(s.evidence).length
          ? { title: 'Evidence', lines: Object.entries(s.evidence).map(([key, value]) => `${key}: ${value === null ? 'n/a' : String(value)}`) }
          : null,
        footer: `Signal ${s.signalId} · updated ${s.updatedAt}`,
      };
    }
    case 'budget.breached': {
      const b = alert.detail;
      const lead =
        b.kind === 'actual'
          ? `${b.name} has spent ${formatMoney(b.actual, b.currency)}, ${formatPercent(b.actualPercent)} of its ${formatMoney(b.amount, b.currency)} budget for ${periodLabel(b.periodStart, b.periodEnd)}, crossing the ${b.thresholdPercent}% threshold.`
          : `${b.name} is forecast to spend ${formatMoney(b.forecast, b.currency)} by ${lastDayBefore(b.periodEnd)}, ${formatPercent(b.forecastPercent)} of its ${formatMoney(b.amount, b.currency)} budget, crossing the ${b.thresholdPercent}% forecast threshold.`;
      return {
        lead,
        facts: [
          ['Spent', `${formatMoney(b.actual, b.currency)} (${formatPercent(b.actualPercent)})`],
          ['Forecast', `${formatMoney(b.forecast, b.currency)} (${formatPercent(b.forecastPercent)})`],
          ['Budget', formatMoney(b.amount, b.currency)],
          ['Period', periodLabel(b.periodStart, b.periodEnd)],
          ['Scope', budgetScopeLabel(b.scope)],
          ...(b.team ? ([['Team', b.team]] as Array<[string, string]>) : []),
        ],
        details: null,
        footer: `Budget ${b.budgetId} · ${b.kind} threshold ${b.thresholdPercent}% · ${b.at}`,
      };
    }
    case 'anomaly.detected': {
      const a = alert.detail;
      const direction = parseDecimal(a.delta) < 0n ? 'below' : 'above';
      return {
        lead:
          a.kind === 'spend'
            ? `${anomalySeries(a)} ${a.metric} on ${a.date} was ${anomalyValue(a, a.actual)}, ${formatMoneyDelta(a.delta, a.currency)} (${formatChange(a.deltaPercent)}) ${direction} the expected ${anomalyValue(a, a.expected)}.`
            : `${anomalySeries(a)} ${a.metric} drifted on ${a.date}: ${anomalyChange(a)}.`,
        facts: [
          ['Actual', anomalyValue(a, a.actual)],
          ['Expected', anomalyValue(a, a.expected)],
          ['Change', a.kind === 'spend' ? `${formatMoneyDelta(a.delta, a.currency)} (${formatChange(a.deltaPercent)})` : formatChange(a.deltaPercent)],
          ...(a.kind === 'drift' && parseDecimal(a.delta) !== 0n ? ([['Dollar effect', formatMoneyDelta(a.delta, a.currency)]] as Array<[string, string]>) : []),
          ['Score', a.score.toFixed(1)],
          ['Series', `${anomalySeries(a)} · ${a.kind}`],
          ...(a.team ? ([['Team', a.team]] as Array<[string, string]>) : []),
        ],
        details: a.contributions.length ? { title: 'Root cause', lines: topContributions(a, 10) } : null,
        footer: `Anomaly ${a.anomalyId} · ${a.at}`,
      };
    }
  }
}

export function renderAlertSlack(alert: AlertEvent): SlackMessage {
  const facts = alertFacts(alert);
  const blocks: SlackBlock[] = [
    headerBlock(alertSubject(alert)),
    sectionBlock(escapeMrkdwn(facts.lead)),
    fieldsBlock(facts.facts.map(([label, value]) => `*${escapeMrkdwn(label)}*\n${escapeMrkdwn(value)}`)),
  ];
  if (facts.details) blocks.push(sectionBlock(`*${facts.details.title}*\n${facts.details.lines.map((line) => `• ${escapeMrkdwn(line)}`).join('\n')}`));
  blocks.push(contextBlock(escapeMrkdwn(facts.footer)));
  return fitBlockKitLimits({ text: alertSubject(alert), blocks });
}

export function renderAlertEmail(alert: AlertEvent): EmailContent {
  const subject = alertSubject(alert);
  const facts = alertFacts(alert);
  const rows = [
    `<tr><td style="padding:22px 20px 6px;${FONT};">
<p style="margin:0;font-size:12px;letter-spacing:0.06em;text-transform:uppercase;color:#667085;">Compute Ledger · ${escapeHtml(alert.name)}</p>
<h1 style="margin:4px 0 8px;font-size:20px;color:#101828;">${escapeHtml(subject)}</h1>
${paragraph(escapeHtml(facts.lead))}
</td></tr>`,
    `<tr><td style="padding:4px 20px;">${dataTable(
      [{ label: 'Fact' }, { label: 'Value' }],
      facts.facts.map(([label, value]) => [`<strong>${escapeHtml(label)}</strong>`, escapeHtml(value)]),
    )}</td></tr>`,
    ...(facts.details ? [sectionRow(facts.details.title, '', facts.details.lines.map((line) => paragraph(escapeHtml(line))).join(''))] : []),
  ];
  const text = [
    subject,
    '',
    facts.lead,
    '',
    ...facts.facts.map(([label, value]) => `${label}: ${value}`),
    ...(facts.details ? ['', `${facts.details.title}:`, ...facts.details.lines.map((line) => `  - ${line}`)] : []),
    '',
    facts.footer,
  ].join('\n');
  return { subject, html: emailShell(subject, rows, escapeHtml(facts.footer)), text: `${text}\n`, inlineImages: [] };
}
