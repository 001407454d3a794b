import { DAY_MS, dayOf } from './utc-time.js';
import { formatDecimalFixed, parseDecimal, type Decimal } from './money.js';

/**
 * Numbers as people read them in digests and alerts: `$12,345.67`, `41.0%`, `▲ 12.3%`. Amounts stay exact
 * decimals until the last step (rounded half to even to the places shown).
 */

const symbols: Record<string, string> = { USD: '$', EUR: '€', GBP: '£', JPY: '¥' };

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function withCurrency(fixed: string, currency: string): string {
  const negative = fixed.startsWith('-');
  const [whole = '0', fraction] = (negative ? fixed.slice(1) : fixed).split('.');
  const body = fraction === undefined ? groupThousands(whole) : `${groupThousands(whole)}.${fraction}`;
  const symbol = symbols[currency.toUpperCase()];
  const text = symbol ? `${symbol}${body}` : `${body} ${currency.toUpperCase()}`;
  return negative ? `-${text}` : text;
}

/** `$12,345.67`, `-$3.00`, `1,234.50 CHF`. */
export function formatMoney(amount: string | Decimal, currency: string, places = 2): string {
  const value = typeof amount === 'bigint' ? amount : parseDecimal(amount);
  return withCurrency(formatDecimalFixed(value, places), currency);
}

/** A signed amount: `+$1,200.00`, `-$40.00`. */
export function formatMoneyDelta(amount: string, currency: string): string {
  const text = formatMoney(amount, currency);
  return text.startsWith('-') || parseDecimal(amount) === 0n ? text : `+${text}`;
}

/** Unit prices keep the places that matter: `$4.12`, `$0.0042`, `$0.000018`; null reads `n/a`. */
export function formatUnitPrice(amount: string | null, currency: string): string {
  if (amount === null) return 'n/a';
  const value = parseDecimal(amount);
  const abs = value < 0n ? -value : value;
  // At least two significant digits: $0.25, $0.0042, $0.000018.
  const places = abs === 0n || abs >= parseDecimal('0.1') ? 2 : abs >= parseDecimal('0.001') ? 4 : 6;
  return formatMoney(value, currency, places);
}

/** A ratio 0..1 as `41.0%`; null reads `n/a`. */
export function formatRatio(ratio: number | null): string {
  return ratio === null ? 'n/a' : `${(ratio * 100).toFixed(1)}%`;
}

/** A percentage already in percent: `118.0%`. */
export function formatPercent(percent: number): string {
  return `${percent.toFixed(1)}%`;
}

/** Change against the previous period: `▲ 12.3%`, `▼ 4.0%`, `■ 0.0%`; null (nothing before) reads `new`. */
export function formatChange(percent: number | null): string {
  if (percent === null) return 'new';
  const rounded = Number(percent.toFixed(1));
  if (rounded === 0) return '■ 0.0%';
  return `${rounded > 0 ? '▲' : '▼'} ${Math.abs(rounded).toFixed(1)}%`;
}

/** `1,234.5` with at most `places` decimals; null reads `n/a`. */
export function formatQuantity(value: number | null, places = 1): string {
  if (value === null) return 'n/a';
  const fixed = value.toFixed(places);
  const [whole = '0', fraction] = fixed.replace(/^-/, '').split('.');
  const trimmed = fraction?.replace(/0+$/, '');
  return `${value < 0 && Number(fixed) !== 0 ? '-' : ''}${groupThousands(whole)}${trimmed ? `.${trimmed}` : ''}`;
}

/** 0.8 → `80%`: confidences read better without decimals. */
export function formatConfidence(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

/**
 * A half-open period [from, to) of days as people say it, inclusive: `2026-11-20` for one day,
 * `2026-11-14 to 2026-11-20` for a week. Timestamps that are not at midnight keep their date.
 */
export function periodLabel(from: string, to: string): string {
  const start = from.slice(0, 10);
  const end = lastDayBefore(to);
  return end <= start ? start : `${start} to ${end}`;
}

/** The last day inside a period that ends (exclusively) at `to`: `2026-12-01` → `2026-11-30`. */
export function lastDayBefore(to: string): string {
  const endMs = Date.parse(to.length === 10 ? `${to}T00:00:00Z` : to);
  const midnight = Number.isFinite(endMs) && endMs % DAY_MS === 0;
  return midnight ? dayOf(endMs - DAY_MS) : to.slice(0, 10);
}
