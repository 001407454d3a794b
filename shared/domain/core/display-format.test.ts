import { describe, expect, it } from 'vitest';
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

describe('formatMoney', () => {
  it('groups thousands and keeps two places, rounding half to even', () => {
    expect(formatMoney('12345.67', 'USD')).toBe('$12,345.67');
    expect(formatMoney('1234567.5', 'USD')).toBe('$1,234,567.50');
    expect(formatMoney('0.125', 'USD')).toBe('$0.12');
    expect(formatMoney('0.135', 'USD')).toBe('$0.14');
    expect(formatMoney('0', 'USD')).toBe('$0.00');
    expect(formatMoney('-3', 'USD')).toBe('-$3.00');
  });

  it('is exact beyond what a float holds', () => {
    expect(formatMoney('98765432109876.555', 'USD')).toBe('$98,765,432,109,876.56');
  });

  it('writes other currencies by symbol or code', () => {
    expect(formatMoney('1234.5', 'EUR')).toBe('€1,234.50');
    expect(formatMoney('1234.5', 'CHF')).toBe('1,234.50 CHF');
  });

  it('signs deltas', () => {
    expect(formatMoneyDelta('1200', 'USD')).toBe('+$1,200.00');
    expect(formatMoneyDelta('-300', 'USD')).toBe('-$300.00');
    expect(formatMoneyDelta('0', 'USD')).toBe('$0.00');
  });
});

describe('formatUnitPrice', () => {
  it('keeps the places that matter for small unit prices', () => {
    expect(formatUnitPrice('6.25', 'USD')).toBe('$6.25');
    expect(formatUnitPrice('0.5', 'USD')).toBe('$0.50');
    expect(formatUnitPrice('0.042', 'USD')).toBe('$0.0420');
    expect(formatUnitPrice('0.0042', 'USD')).toBe('$0.0042');
    expect(formatUnitPrice('0.000018', 'USD')).toBe('$0.000018');
    expect(formatUnitPrice(null, 'USD')).toBe('n/a');
  });
});

describe('percentages and changes', () => {
  it('formats ratios, percents and confidences', () => {
    expect(formatRatio(0.4)).toBe('40.0%');
    expect(formatRatio(null)).toBe('n/a');
    expect(formatPercent(118)).toBe('118.0%');
    expect(formatConfidence(0.8)).toBe('80%');
  });

  it('shows the direction of a change with an arrow', () => {
    expect(formatChange(12.3355)).toBe('▲ 12.3%');
    expect(formatChange(-2)).toBe('▼ 2.0%');
    expect(formatChange(0.04)).toBe('■ 0.0%');
    expect(formatChange(null)).toBe('new');
  });
});

describe('formatQuantity', () => {
  it('groups thousands and trims zeros', () => {
    expect(formatQuantity(1234.56)).toBe('1,234.6');
    expect(formatQuantity(192)).toBe('192');
    expect(formatQuantity(0.8, 2)).toBe('0.8');
    expect(formatQuantity(null)).toBe('n/a');
  });
});

describe('periodLabel', () => {
  it('reads a half-open period of days inclusively', () => {
    expect(periodLabel('2026-11-20', '2026-11-21')).toBe('2026-11-20');
    expect(periodLabel('2026-11-14', '2026-11-21')).toBe('2026-11-14 to 2026-11-20');
    expect(periodLabel('2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')).toBe('2026-11-01 to 2026-11-30');
    expect(lastDayBefore('2026-12-01')).toBe('2026-11-30');
    expect(lastDayBefore('2026-11-20T13:00:00Z')).toBe('2026-11-20');
  });
});
