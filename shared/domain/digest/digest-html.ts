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
  periodLabel,
} from '../core/display-format.js';
import { parseDecimal } from '../core/money.js';
import {
  anomaliesByImpact,
  anomalySeries,
  anomalyValue,
  budgetAtRisk,
  budgetScopeLabel,
  budgetState,
  budgetsByRisk,
  runwayLabel,
  changeTone,
  plural,
  signalsByImpact,
  signalsTotal,
  sortedProviders,
  toneColor,
  topContributions,
  unitEconomicsByCost,
  unitEconomicsScopeLabel,
  type EmailContent,
  digestChartContentId,
} from './digest-order.js';
import { FONT, coloured, dataTable, emailShell, escapeHtml, paragraph, sectionRow } from './html-blocks.js';
import { digestSubject, renderDigestText } from './digest-text.js';

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
          [
            { label: 'Provider' },
            { label: 'Spend', align: 'right' },
            { label: 'Previous', align: 'right' },
            { label: 'Change', align: 'right' },
          ],
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
        'Effective GPU-hours count SM activity, not just allocation; idle cost is what paid GPU-hours cost while idle; idle-held, the part of it spent on GPUs idle with their memory held.' +
          ((model.unitCostChanges ?? []).length ? ` Against the day before: ${(model.unitCostChanges ?? []).join('; ')}.` : ''),
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
        ) +
          (sorted.length > shown.length
            ? paragraph(`<br>${escapeHtml(`and ${plural(sorted.length - shown.length, 'more scope')}, smaller by cost`)}`)
            : ''),
      ),
    );
  }

  const signals = signalsByImpact(model.signals);
  rows.push(
    sectionRow(
      'Top signals',
      signals.length
        ? `${plural(signals.length, 'open signal')}, ${formatMoney(signalsTotal(signals), model.currency)} a month at stake, largest first`
        : '',
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
          ) +
            (signals.length > HTML_ROWS.signals
              ? paragraph(`<br>and ${escapeHtml(plural(signals.length - HTML_ROWS.signals, 'more signal'))}`)
              : '')
        : paragraph('No open signals.'),
    ),
  );

  const budgets = budgetsByRisk(model.budgets);
  rows.push(
    sectionRow(
      'Budgets',
      budgets.length ? `${budgets.filter(budgetAtRisk).length} of ${budgets.length} at risk, soonest to run out first` : '',
      budgets.length
        ? dataTable(
            [
              { label: 'Budget' },
              { label: 'Period' },
              { label: 'Spent', align: 'right' },
              { label: 'Actual', align: 'right' },
              { label: 'Forecast', align: 'right' },
              { label: 'Runway' },
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
                escapeHtml(runwayLabel(b) ?? '—'),
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
            [
              { label: 'Series' },
              { label: 'Day' },
              { label: 'Actual', align: 'right' },
              { label: 'Expected', align: 'right' },
              { label: 'Change', align: 'right' },
              { label: 'Root cause' },
            ],
            anomalies
              .slice(0, HTML_ROWS.anomalies)
              .map((a) => [
                `<strong>${escapeHtml(anomalySeries(a))}</strong><br><span style="color:#667085;font-size:12px;">${escapeHtml(a.metric)} · score ${escapeHtml(a.score.toFixed(1))}${a.feedback ? ` · marked ${escapeHtml(a.feedback)}` : ''}</span>`,
                escapeHtml(a.date),
                escapeHtml(anomalyValue(a, a.actual)),
                escapeHtml(anomalyValue(a, a.expected)),
                coloured(
                  a.kind === 'spend' || parseDecimal(a.delta) !== 0n
                    ? `${formatMoneyDelta(a.delta, a.currency)} (${formatChange(a.deltaPercent)})`
                    : formatChange(a.deltaPercent),
                  changeTone(a.deltaPercent),
                  true,
                ),
                topContributions(a, 3).map(escapeHtml).join('<br>') || '—',
              ]),
          ) +
            (anomalies.length > HTML_ROWS.anomalies
              ? paragraph(`<br>and ${escapeHtml(plural(anomalies.length - HTML_ROWS.anomalies, 'more anomaly', 'more anomalies'))}`)
              : '')
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
      {
        contentId: digestChartContentId,
        filename: `spend-${model.date}.png`,
        contentType: 'image/png',
        content: renderSpendChartPng(model.chart, { currency: model.currency }),
      },
    ],
  };
}
