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
import { parseDecimal } from '../core/money.js';
import {
  anomaliesByImpact,
  anomalyChange,
  anomalySeries,
  budgetAtRisk,
  budgetsByRisk,
  runwayLabel,
  fleetRow,
  plural,
  signalsByImpact,
  signalsTotal,
  sortedProviders,
  topContributions,
} from './digest-order.js';

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
  lines.push(
    `Compute Ledger digest for ${periodLabel(model.from, model.to)} (compared with ${periodLabel(model.previousFrom, model.previousTo)})`,
  );
  lines.push(`Total spend: ${money(model.totals.current)}, ${formatChange(model.totals.changePercent)} vs ${money(model.totals.previous)}`);

  const providers = sortedProviders(model);
  if (providers.length) {
    lines.push('By provider:');
    const width = Math.max(...providers.map((p) => p.provider.length));
    for (const p of providers.slice(0, 5)) {
      lines.push(
        `  ${p.provider.padEnd(width)}  ${money(p.current).padStart(14)}  ${formatChange(p.changePercent).padEnd(9)} (was ${money(p.previous)})`,
      );
    }
    if (providers.length > 5) lines.push(`  and ${plural(providers.length - 5, 'more provider')}`);
  }

  const fleet = fleetRow(model);
  if (fleet) {
    // Only the measures the fleet has: no GPUs measured, or no tokens served, leaves theirs out.
    const parts = [
      fleet.costPerEffectiveGpuHour !== null
        ? `${formatUnitPrice(fleet.costPerEffectiveGpuHour, model.currency)} per effective GPU-hour`
        : null,
      fleet.effectiveUtilization !== null ? `${formatRatio(fleet.effectiveUtilization)} effective utilization` : null,
      fleet.paidGpuHours > 0
        ? `idle cost ${money(fleet.idleCost)}${parseDecimal(fleet.idleHeldCost) > 0n ? ` (${money(fleet.idleHeldCost)} of it on GPUs held idle with memory in use)` : ''}`
        : null,
      fleet.costPerMillionTokens !== null ? `${formatUnitPrice(fleet.costPerMillionTokens, model.currency)} per million tokens` : null,
    ].filter((part) => part !== null);
    if (parts.length) lines.push(`Fleet: ${parts.join(', ')}`);
    for (const why of model.unitCostChanges ?? []) lines.push(`  ${why}`);
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
      const runway = runwayLabel(b);
      lines.push(
        `  - ${b.name}: ${formatPercent(b.actualPercent)} spent, forecast ${formatPercent(b.forecastPercent)} of ${formatMoney(b.amount, b.currency)} by ${lastDayBefore(b.periodEnd)}${runway ? `; ${runway}` : ''}`,
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
