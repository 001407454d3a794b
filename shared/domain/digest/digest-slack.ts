import type { DigestModel } from './digest-model.js';
import {
  formatChange,
  formatConfidence,
  formatMoney,
  formatPercent,
  formatRatio,
  formatUnitPrice,
  lastDayBefore,
  periodLabel,
} from '../core/display-format.js';
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
import {
  anomaliesByImpact,
  anomalyChange,
  anomalySeries,
  budgetAtRisk,
  budgetScopeLabel,
  budgetsByRisk,
  runwayLabel,
  plural,
  signalsByImpact,
  signalsTotal,
  sortedProviders,
  topContributions,
  unitEconomicsByCost,
  unitEconomicsScopeLabel,
} from './digest-order.js';
import { digestSubject } from './digest-text.js';

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
    blocks.push(
      fieldsBlock(
        providers.slice(0, 10).map((p) => `*${escapeMrkdwn(p.provider)}*\n${money(p.current)}  ${formatChange(p.changePercent)}`),
      ),
    );
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
    const changes = model.unitCostChanges ?? [];
    if (changes.length) blocks.push(contextBlock(`Against the day before: ${escapeMrkdwn(changes.join('; '))}`));
  }

  const signals = signalsByImpact(model.signals);
  blocks.push(dividerBlock);
  blocks.push(
    sectionBlock(
      signals.length
        ? `*Top signals* · ${plural(signals.length, 'open signal')}, *${money(signalsTotal(signals))}/month* at stake`
        : '*Signals* · none open',
    ),
  );
  for (const [i, s] of signals.slice(0, SLACK_ROWS.signals).entries()) {
    blocks.push(
      sectionBlock(
        `*${i + 1}. ${escapeMrkdwn(s.title)}*  ·  *${money(s.monthlyImpact)}/month*  ·  ${formatConfidence(s.confidence)} confidence\n${escapeMrkdwn(s.summary)}`,
      ),
    );
  }
  if (signals.length > SLACK_ROWS.signals)
    blocks.push(contextBlock(`and ${plural(signals.length - SLACK_ROWS.signals, 'more signal')} in the email digest`));

  const atRisk = budgetsByRisk(model.budgets).filter(budgetAtRisk);
  blocks.push(dividerBlock);
  if (atRisk.length) {
    const lines = atRisk.slice(0, SLACK_ROWS.budgets).map((b) => {
      const runway = runwayLabel(b);
      return (
        `• *${escapeMrkdwn(b.name)}* (${escapeMrkdwn(budgetScopeLabel(b.scope))}): ${formatPercent(b.actualPercent)} spent, ` +
        `forecast *${formatPercent(b.forecastPercent)}* of ${formatMoney(b.amount, b.currency)} by ${lastDayBefore(b.periodEnd)}` +
        (runway ? `; ${escapeMrkdwn(runway)}` : '')
      );
    });
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
    if (anomalies.length > SLACK_ROWS.anomalies)
      lines.push(`and ${plural(anomalies.length - SLACK_ROWS.anomalies, 'more anomaly', 'more anomalies')}`);
    blocks.push(sectionBlock(`*Anomalies* · ${anomalies.length}\n${lines.join('\n')}`));
  } else {
    blocks.push(sectionBlock('*Anomalies* · none'));
  }

  if (model.failedScopes.length) {
    const lines = model.failedScopes
      .slice(0, SLACK_ROWS.failedScopes)
      .map((f) => `• \`${escapeMrkdwn(f.scope)}\`: ${escapeMrkdwn(f.error)}`);
    if (model.failedScopes.length > SLACK_ROWS.failedScopes) lines.push(`and ${model.failedScopes.length - SLACK_ROWS.failedScopes} more`);
    blocks.push(sectionBlock(`:warning: *Failed scopes* · ${model.failedScopes.length}\n${lines.join('\n')}`));
  }
  blocks.push(
    contextBlock(
      `Generated ${escapeMrkdwn(model.generatedAt)} · amounts in ${escapeMrkdwn(model.currency)} · the email digest has the chart and every row`,
    ),
  );
  return fitBlockKitLimits({ text: digestSubject(model), blocks });
}
