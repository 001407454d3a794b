import { describe, expect, it } from 'vitest';
import { calendarMonthOf, emptyFocusRecord, focusRecordKey, focusRecordProblems, serviceCategoryOf, type FocusRecord } from './focus.js';

function sample(): FocusRecord {
  return {
    ...emptyFocusRecord('aws'),
    BilledCost: '10',
    EffectiveCost: '9',
    ListCost: '10',
    ContractedCost: '10',
    BillingAccountId: '111122223333',
    BillingPeriodStart: '2026-11-01T00:00:00Z',
    BillingPeriodEnd: '2026-12-01T00:00:00Z',
    ChargePeriodStart: '2026-11-02T00:00:00Z',
    ChargePeriodEnd: '2026-11-03T00:00:00Z',
    ServiceName: 'Amazon Elastic Compute Cloud - Compute',
    ResourceId: 'i-0abc',
    Tags: { team: 'research', env: 'prod' },
  };
}

describe('focusRecordKey', () => {
  it('is deterministic and independent of amounts, estimates and tag order', () => {
    const a = sample();
    const b = { ...sample(), BilledCost: '11', EffectiveCost: '10.5', x_Estimated: true, Tags: { env: 'prod', team: 'research' } };
    expect(focusRecordKey('aws', a)).toEqual(focusRecordKey('aws', b));
    expect(focusRecordKey('aws', a).value).toMatch(/^aws#111122223333#2026-11-02T00:00:00Z#[0-9a-f]{32}$/);
  });

  it('changes with any identifying dimension', () => {
    const base = focusRecordKey('aws', sample()).value;
    const variants: Array<Partial<FocusRecord>> = [
      { ResourceId: 'i-0abd' },
      { ChargePeriodStart: '2026-11-03T00:00:00Z', ChargePeriodEnd: '2026-11-04T00:00:00Z' },
      { Tags: { team: 'research' } },
      { Tags: { team: 'research', env: 'dev' } },
      { PricingCategory: 'Dynamic' },
      { ChargeCategory: 'Tax' },
      { x_ProviderDimensions: { OPERATING_SYSTEM: 'Linux' } },
      { SubAccountId: '444455556666' },
    ];
    const keys = variants.map((v) => focusRecordKey('aws', { ...sample(), ...v }).value);
    expect(new Set([base, ...keys]).size).toBe(variants.length + 1);
  });
});

describe('focusRecordProblems', () => {
  it('accepts a valid record and names what is wrong with an invalid one', () => {
    expect(focusRecordProblems(sample())).toEqual([]);
    const bad = {
      ...sample(),
      BilledCost: '1e3',
      ChargePeriodEnd: '2026-11-01T00:00:00Z',
      BillingCurrency: 'usd',
      PricingQuantity: '3',
      Extra: 1,
    } as unknown as FocusRecord;
    expect(focusRecordProblems(bad)).toEqual([
      'BilledCost is not a decimal string',
      'ChargePeriodStart is not before ChargePeriodEnd',
      'BillingCurrency is not an ISO 4217 code',
      'PricingQuantity without PricingUnit',
      'Extra is neither a FOCUS column nor x_-prefixed',
    ]);
  });
});

describe('helpers', () => {
  it('maps service categories and calendar months', () => {
    expect(serviceCategoryOf('Amazon Elastic Compute Cloud - Compute')).toBe('Compute');
    expect(serviceCategoryOf('Amazon SageMaker')).toBe('AI and Machine Learning');
    expect(serviceCategoryOf('Amazon Simple Storage Service')).toBe('Storage');
    expect(serviceCategoryOf('Compute Engine')).toBe('Compute');
    expect(serviceCategoryOf('Virtual Machines')).toBe('Compute');
    expect(serviceCategoryOf('Something new')).toBe('Other');
    expect(calendarMonthOf(Date.UTC(2026, 11, 31, 23))).toEqual({ start: '2026-12-01T00:00:00Z', end: '2027-01-01T00:00:00Z' });
  });
});
