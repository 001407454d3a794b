import {
  formatChange,
  formatConfidence,
  formatMoney,
  formatMoneyDelta,
  formatPercent,
  lastDayBefore,
  periodLabel,
} from '../core/display-format.js';
import { parseDecimal } from '../core/money.js';
import {
  contextBlock,
  escapeMrkdwn,
  fieldsBlock,
  fitBlockKitLimits,
  headerBlock,
  sectionBlock,
  type SlackBlock,
  type SlackMessage,
} from './slack-blocks.js';
import {
  anomalyChange,
  anomalySeries,
  anomalyValue,
  budgetScopeLabel,
  topContributions,
  type AlertEvent,
  type EmailContent,
} from './digest-order.js';
import { FONT, dataTable, emailShell, escapeHtml, paragraph, sectionRow } from './html-blocks.js';

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
          ? {
              title: 'Evidence',
              lines: Object.entries(s.evidence).map(([key, value]) => `${key}: ${value === null ? 'n/a' : String(value)}`),
            }
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
          [
            'Change',
            a.kind === 'spend'
              ? `${formatMoneyDelta(a.delta, a.currency)} (${formatChange(a.deltaPercent)})`
              : formatChange(a.deltaPercent),
          ],
          ...(a.kind === 'drift' && parseDecimal(a.delta) !== 0n
            ? ([['Dollar effect', formatMoneyDelta(a.delta, a.currency)]] as Array<[string, string]>)
            : []),
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
  if (facts.details)
    blocks.push(sectionBlock(`*${facts.details.title}*\n${facts.details.lines.map((line) => `• ${escapeMrkdwn(line)}`).join('\n')}`));
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
    ...(facts.details
      ? [sectionRow(facts.details.title, '', facts.details.lines.map((line) => paragraph(escapeHtml(line))).join(''))]
      : []),
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
