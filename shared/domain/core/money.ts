import { z } from 'zod';

/**
 * Exact decimal arithmetic for money and quantities.
 *
 * A `Decimal` is a bigint counting units of 10^-12 ("pico-units"): twelve places after the point are kept
 * exactly, which covers per-token prices (1.5e-8 USD) multiplied by quantities, and provider amounts
 * (Cost Explorer strings with ten places, Google `nanos` with nine). Sums of any number of rows are exact.
 * Results that need more places (products, quotients) are rounded half-to-even at the twelfth place.
 *
 * Values cross module boundaries as canonical decimal strings (`formatDecimal`): "1320.4812", "-0.5", "0".
 */

export type Decimal = bigint;

/** An exact amount on the wire: a decimal string such as `1320.4812` or `-12.5`. */
export const decimalStringSchema = z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string');

/** Places kept after the decimal point. */
export const DECIMAL_PLACES = 12;
const SCALE = 10n ** BigInt(DECIMAL_PLACES);
const POWERS: bigint[] = Array.from({ length: 40 }, (_, i) => 10n ** BigInt(i));

function pow10(exponent: number): bigint {
  return exponent < POWERS.length ? POWERS[exponent]! : 10n ** BigInt(exponent);
}

export const ZERO: Decimal = 0n;

export class InvalidDecimalError extends Error {
  override name = 'InvalidDecimalError';
  constructor(readonly value: unknown) {
    super(`Not a decimal number: ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/** Integer division rounded half to even. `divisor` must not be zero. */
function divideRounded(numerator: bigint, divisor: bigint): bigint {
  if (divisor < 0n) {
    numerator = -numerator;
    divisor = -divisor;
  }
  const quotient = numerator / divisor;
  const remainder = numerator % divisor;
  if (remainder === 0n) return quotient;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  if (twice < divisor) return quotient;
  const away = numerator < 0n ? quotient - 1n : quotient + 1n;
  if (twice > divisor) return away;
  return quotient % 2n === 0n ? quotient : away;
}

const DECIMAL_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;

/**
 * Parses a provider amount: a decimal string ("1320.4812", "-0.0000001", "1.2E-7", "  42 "), a finite number
 * (read through its shortest round-trip form, so 173.4197 stays 173.4197), or a bigint (whole units).
 * Throws `InvalidDecimalError` for anything else, including "", "NaN", "Infinity" and "1,5".
 */
export function parseDecimal(value: string | number | bigint): Decimal {
  if (typeof value === 'bigint') return value * SCALE;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidDecimalError(value);
    if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return BigInt(value) * SCALE;
    return parseDecimalString(String(value), value);
  }
  if (typeof value !== 'string') throw new InvalidDecimalError(value);
  return parseDecimalString(value.trim(), value);
}

function parseDecimalString(text: string, original: unknown): Decimal {
  const match = DECIMAL_PATTERN.exec(text);
  if (!match) throw new InvalidDecimalError(original);
  const whole = match[2] ?? '';
  const fraction = match[3] ?? '';
  if (whole === '' && fraction === '') throw new InvalidDecimalError(original);
  const exponent = match[4] === undefined ? 0 : Number(match[4]);
  const digits = BigInt(whole + fraction);
  const shift = exponent - fraction.length + DECIMAL_PLACES;
  let scaled: bigint;
  if (shift >= 0) {
    if (shift > 400) throw new InvalidDecimalError(original);
    scaled = digits * pow10(shift);
  } else {
    scaled = -shift > 400 ? 0n : divideRounded(digits, pow10(-shift));
  }
  return match[1] === '-' ? -scaled : scaled;
}

/** Like `parseDecimal`, but `undefined` instead of throwing. */
export function tryParseDecimal(value: unknown): Decimal | undefined {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') return undefined;
  try {
    return parseDecimal(value);
  } catch {
    return undefined;
  }
}

/** Canonical decimal string: no exponent, no trailing zeros, "0" for zero. */
export function formatDecimal(value: Decimal): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString();
  let text: string;
  if (digits.length <= DECIMAL_PLACES) {
    const fraction = digits.padStart(DECIMAL_PLACES, '0').replace(/0+$/, '');
    text = fraction === '' ? '0' : `0.${fraction}`;
  } else {
    const whole = digits.slice(0, digits.length - DECIMAL_PLACES);
    const fraction = digits.slice(digits.length - DECIMAL_PLACES).replace(/0+$/, '');
    text = fraction === '' ? whole : `${whole}.${fraction}`;
  }
  return negative && text !== '0' ? `-${text}` : text;
}

const CANONICAL = /^-?(0|[1-9]\d*)(\.\d{0,11}[1-9])?$/;

/** True when `text` is already what formatDecimal would write (so formatting can be skipped). */
export function isCanonicalDecimal(text: string): boolean {
  return CANONICAL.test(text) && text !== '-0';
}

/** Rounded (half to even) to `places` decimals and always written with that many: `formatDecimalFixed(x, 2)` → "12.30". */
export function formatDecimalFixed(value: Decimal, places: number): string {
  if (!Number.isInteger(places) || places < 0 || places > DECIMAL_PLACES) throw new RangeError(`places must be 0..${DECIMAL_PLACES}`);
  const rounded = roundDecimal(value, places);
  const negative = rounded < 0n;
  const digits = ((negative ? -rounded : rounded) / pow10(DECIMAL_PLACES - places)).toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places);
  const text = places === 0 ? whole : `${whole}.${fraction}`;
  return negative ? `-${text}` : text;
}

/** Rounds half to even to `places` decimals (still a Decimal). */
export function roundDecimal(value: Decimal, places: number): Decimal {
  if (places >= DECIMAL_PLACES) return value;
  const unit = pow10(DECIMAL_PLACES - places);
  return divideRounded(value, unit) * unit;
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  return a + b;
}

export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  return a - b;
}

export function negateDecimal(a: Decimal): Decimal {
  return -a;
}

export function sumDecimals(values: Iterable<Decimal>): Decimal {
  let total = 0n;
  for (const value of values) total += value;
  return total;
}

/** a × b, rounded half to even at the twelfth place. */
export function multiplyDecimal(a: Decimal, b: Decimal): Decimal {
  return divideRounded(a * b, SCALE);
}

/** a ÷ b, rounded half to even at the twelfth place. Throws a RangeError when b is zero. */
/** value × a ratio in [0, 1] read to 12 places: 0 and below give zero, 1 and above the value itself. */
export function multiplyByRatio(value: Decimal, ratio: number): Decimal {
  if (!(ratio > 0)) return ZERO;
  if (ratio >= 1) return value;
  return multiplyDecimal(value, parseDecimal(ratio.toFixed(12)));
}

export function divideDecimal(a: Decimal, b: Decimal): Decimal {
  if (b === 0n) throw new RangeError('Division by zero');
  return divideRounded(a * SCALE, b);
}

/** a ÷ n for a whole number n (GPU count, hours in a term). */
export function divideDecimalByInteger(a: Decimal, n: number | bigint): Decimal {
  const divisor = BigInt(n);
  if (divisor === 0n) throw new RangeError('Division by zero');
  return divideRounded(a, divisor);
}

export function compareDecimal(a: Decimal, b: Decimal): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isZeroDecimal(a: Decimal): boolean {
  return a === 0n;
}

/** Parses, operates and formats in one step, for code that holds decimal strings. */
export function addDecimalStrings(a: string, b: string): string {
  return formatDecimal(parseDecimal(a) + parseDecimal(b));
}

export function sumDecimalStrings(values: Iterable<string>): string {
  let total = 0n;
  for (const value of values) total += parseDecimal(value);
  return formatDecimal(total);
}

/** Price × quantity, both decimal strings, as a decimal string. */
export function multiplyDecimalStrings(price: string, quantity: string): string {
  return formatDecimal(multiplyDecimal(parseDecimal(price), parseDecimal(quantity)));
}

/** An amount with its ISO 4217 currency; `amount` is a canonical decimal string. */
export interface Money {
  readonly amount: string;
  readonly currency: string;
}

export class CurrencyMismatchError extends Error {
  override name = 'CurrencyMismatchError';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Cannot combine ${actual} with ${expected}`);
  }
}

export function money(amount: string | number | bigint, currency: string): Money {
  return { amount: formatDecimal(parseDecimal(amount)), currency: currency.toUpperCase() };
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency);
  return { amount: addDecimalStrings(a.amount, b.amount), currency: a.currency };
}

/** Sums money of one currency; an empty input sums to zero of `currency`. */
export function sumMoney(values: Iterable<Money>, currency: string): Money {
  const expected = currency.toUpperCase();
  let total = 0n;
  for (const value of values) {
    if (value.currency !== expected) throw new CurrencyMismatchError(expected, value.currency);
    total += parseDecimal(value.amount);
  }
  return { amount: formatDecimal(total), currency: expected };
}
