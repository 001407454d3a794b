import { createHash } from 'node:crypto';
import { type SignalType, type SignalView } from './signal-view.js';
import { formatMoney } from '../core/display-format.js';
import { type Decimal, divideDecimal, formatDecimalFixed, parseDecimal } from '../core/money.js';
import { roundTo } from '../core/statistics.js';

/** The words and numbers every signal rule shares: ids, months, dollars, percentages, confidence. */

/** A signal as one run computes it: everything but the times the store keeps. */
export type RaisedSignal = Omit<SignalView, 'firstRaisedAt' | 'updatedAt'>;

export const HOURS_PER_MONTH = 730;
export const CURRENCY = 'USD';

/** Stable id: a digest of the type and the subject's key, so the same situation keeps its id run after run. */
export function signalId(type: SignalType, subjectKey: string): string {
  return `${type}-${createHash('sha256').update(`${type}\u0000${subjectKey}`).digest('hex').slice(0, 20)}`;
}

/** An amount over `windowHours` as an amount per 730-hour month. */
export function perMonth(amount: Decimal, windowHours: number): Decimal {
  return divideDecimal(amount * BigInt(HOURS_PER_MONTH), parseDecimal(windowHours));
}

export const cents = (value: Decimal) => formatDecimalFixed(value, 2);
export const clampConfidence = (value: number) => roundTo(Math.min(1, Math.max(0, value)), 2);

/** `$12,345.67`, exact. */
export const dollars = (value: Decimal) => formatMoney(value, CURRENCY);

export const percent = (share: number, places = 1) => `${(share * 100).toFixed(places)}%`;
export const count = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 1 });
