import { describe, expect, it } from 'vitest';
import {
  InvalidDecimalError,
  CurrencyMismatchError,
  addMoney,
  divideDecimal,
  divideDecimalByInteger,
  formatDecimal,
  formatDecimalFixed,
  money,
  multiplyDecimal,
  multiplyDecimalStrings,
  parseDecimal,
  roundDecimal,
  sumDecimalStrings,
  sumMoney,
  tryParseDecimal,
} from './money.js';

const d = (text: string) => parseDecimal(text);

describe('parseDecimal / formatDecimal', () => {
  it('reads provider strings exactly', () => {
    expect(formatDecimal(d('1320.4812'))).toBe('1320.4812');
    expect(formatDecimal(d('55.0400000000'))).toBe('55.04');
    expect(formatDecimal(d('-0.0000001'))).toBe('-0.0000001');
    expect(formatDecimal(d('+7'))).toBe('7');
    expect(formatDecimal(d('.5'))).toBe('0.5');
    expect(formatDecimal(d('5.'))).toBe('5');
    expect(formatDecimal(d(' 42 '))).toBe('42');
    expect(formatDecimal(d('0.000000000000'))).toBe('0');
    expect(formatDecimal(d('-0'))).toBe('0');
  });

  it('reads exponents (BigQuery FLOAT64 and JSON numbers)', () => {
    expect(formatDecimal(d('1.2E-7'))).toBe('0.00000012');
    expect(formatDecimal(d('1.7304192E9'))).toBe('1730419200');
    expect(formatDecimal(d('9.79655e+0'))).toBe('9.79655');
  });

  it('reads numbers through their shortest round-trip text', () => {
    expect(formatDecimal(parseDecimal(173.4197))).toBe('173.4197');
    expect(formatDecimal(parseDecimal(0.1))).toBe('0.1');
    expect(formatDecimal(parseDecimal(1e-7))).toBe('0.0000001');
    expect(formatDecimal(parseDecimal(20261101))).toBe('20261101');
    expect(formatDecimal(parseDecimal(12n))).toBe('12');
  });

  it('rounds half to even beyond twelve places', () => {
    // 0.0000000000005 is exactly half a pico-unit: ties go to the even neighbour (0).
    expect(formatDecimal(d('0.0000000000005'))).toBe('0');
    expect(formatDecimal(d('0.0000000000015'))).toBe('0.000000000002');
    expect(formatDecimal(d('0.00000000000151'))).toBe('0.000000000002');
    expect(formatDecimal(d('-0.0000000000015'))).toBe('-0.000000000002');
    // A float-noise number from Azure keeps twelve places.
    expect(formatDecimal(parseDecimal(173.41979241290323))).toBe('173.419792412903');
  });

  it('rejects what is not a number', () => {
    for (const bad of ['', ' ', 'NaN', 'Infinity', '1,5', '1.2.3', '--1', 'e5', '0x10', '12abc']) {
      expect(() => parseDecimal(bad), bad).toThrow(InvalidDecimalError);
    }
    expect(() => parseDecimal(Number.NaN)).toThrow(InvalidDecimalError);
    expect(() => parseDecimal(Number.POSITIVE_INFINITY)).toThrow(InvalidDecimalError);
    expect(tryParseDecimal('abc')).toBeUndefined();
    expect(tryParseDecimal(null)).toBeUndefined();
    expect(tryParseDecimal('3')).toBe(3_000_000_000_000n);
  });
});

describe('arithmetic', () => {
  it('sums a million rows without drift', () => {
    // 0.1 + 0.2 style amounts: floats drift, decimals do not.
    let floatTotal = 0;
    const strings: string[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      const amount = i % 2 === 0 ? '0.1' : '0.2';
      strings.push(amount);
      floatTotal += Number(amount);
    }
    expect(sumDecimalStrings(strings)).toBe('150000');
    expect(floatTotal).not.toBe(150000);
  });

  it('multiplies price by quantity', () => {
    // 23.67 $/h × 192 h = 4544.64
    expect(multiplyDecimalStrings('23.67', '192')).toBe('4544.64');
    // 0.000000015 $/token × 1,234,567 tokens = 0.018518505
    expect(multiplyDecimalStrings('0.000000015', '1234567')).toBe('0.018518505');
    expect(formatDecimal(multiplyDecimal(d('-1.5'), d('2')))).toBe('-3');
  });

  it('divides with half-even rounding', () => {
    // 55.04 $/h over 8 GPUs = 6.88 $/GPU-h
    expect(formatDecimal(divideDecimalByInteger(d('55.04'), 8))).toBe('6.88');
    // 1/3 → 0.333333333333
    expect(formatDecimal(divideDecimal(d('1'), d('3')))).toBe('0.333333333333');
    // 2/3 → 0.666666666667
    expect(formatDecimal(divideDecimal(d('2'), d('3')))).toBe('0.666666666667');
    // 509488 for a one-year term over 8760 hours = 58.160730593607...
    expect(formatDecimal(divideDecimalByInteger(d('509488'), 8760))).toBe('58.160730593607');
    expect(() => divideDecimal(d('1'), 0n)).toThrow(RangeError);
  });

  it('formats with fixed places', () => {
    expect(formatDecimalFixed(d('12.3'), 2)).toBe('12.30');
    expect(formatDecimalFixed(d('0.125'), 2)).toBe('0.12');
    expect(formatDecimalFixed(d('0.135'), 2)).toBe('0.14');
    expect(formatDecimalFixed(d('-0.135'), 2)).toBe('-0.14');
    expect(formatDecimalFixed(d('0.004'), 2)).toBe('0.00');
    expect(formatDecimalFixed(d('1234'), 0)).toBe('1234');
    expect(formatDecimal(roundDecimal(d('2.5'), 0))).toBe('2');
    expect(formatDecimal(roundDecimal(d('3.5'), 0))).toBe('4');
  });
});

describe('Money', () => {
  it('adds amounts of one currency', () => {
    expect(addMoney(money('1.10', 'usd'), money(2.2, 'USD'))).toEqual({ amount: '3.3', currency: 'USD' });
    expect(sumMoney([money('1', 'EUR'), money('0.5', 'EUR')], 'eur')).toEqual({ amount: '1.5', currency: 'EUR' });
    expect(sumMoney([], 'USD')).toEqual({ amount: '0', currency: 'USD' });
  });

  it('refuses to mix currencies', () => {
    expect(() => addMoney(money('1', 'USD'), money('1', 'EUR'))).toThrow(CurrencyMismatchError);
  });
});

describe('isCanonicalDecimal', () => {
  it('tells canonical text from text that formatting would change', async () => {
    const { isCanonicalDecimal } = await import('./money.js');
    for (const yes of ['0', '1', '-1', '1320.4812', '0.000000000001', '-0.5']) expect(isCanonicalDecimal(yes), yes).toBe(true);
    for (const no of ['-0', '01', '1.0', '1.', '.5', '1e3', '0.0000000000001', '+1', ' 1']) expect(isCanonicalDecimal(no), no).toBe(false);
  });
});
