import { emptyFocusRecord, type FocusRecord } from '../../shared/domain/costs/focus.js';

/** A complete AWS FOCUS record for one day of EC2 in us-east-1, with the given columns changed. */
export function focusRecord(overrides: Partial<FocusRecord>): FocusRecord {
  return {
    ...emptyFocusRecord('aws'),
    BillingAccountId: '111122223333',
    BillingPeriodStart: '2026-11-01T00:00:00Z',
    BillingPeriodEnd: '2026-12-01T00:00:00Z',
    ChargePeriodStart: '2026-11-02T00:00:00Z',
    ChargePeriodEnd: '2026-11-03T00:00:00Z',
    ServiceCategory: 'Compute',
    ServiceName: 'Amazon Elastic Compute Cloud - Compute',
    PricingCategory: 'Standard',
    RegionId: 'us-east-1',
    ...overrides,
  };
}
