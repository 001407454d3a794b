import { describe, expect, it } from 'vitest';
import { checkCostWindow, costQuerySchema, focusCsvHeader, focusCsvRow, summarizeCosts } from './cost-query.js';
import { focusRecord } from '../../../test/support/focus.js';

describe('summarizeCosts', () => {
  it('sums exactly per group and currency, largest effective cost first', async () => {
    const records = [
      ...Array.from({ length: 1000 }, () =>
        focusRecord({ BilledCost: '0.1', EffectiveCost: '0.07', ListCost: '0.2', Tags: { team: 'research' } }),
      ),
      focusRecord({
        ServiceName: 'Amazon S3',
        BilledCost: '1320.4812',
        EffectiveCost: '1320.4812',
        ListCost: '1320.4812',
        Tags: { team: 'platform' },
      }),
      focusRecord({ ServiceName: 'Amazon S3', BilledCost: '-0.0012', EffectiveCost: '-0.0012', ListCost: '0' }),
      focusRecord({ ServiceName: 'Virtual Machines', BillingCurrency: 'EUR', BilledCost: '5', EffectiveCost: '4', ListCost: '6' }),
    ];
    const byService = await summarizeCosts(records, { from: '2026-11-01', to: '2026-11-30', groupBy: 'ServiceName' });
    expect(byService.groups).toEqual([
      { key: 'Amazon S3', currency: 'USD', billedCost: '1320.48', effectiveCost: '1320.48', listCost: '1320.4812', records: 2 },
      {
        key: 'Amazon Elastic Compute Cloud - Compute',
        currency: 'USD',
        billedCost: '100',
        effectiveCost: '70',
        listCost: '200',
        records: 1000,
      },
      { key: 'Virtual Machines', currency: 'EUR', billedCost: '5', effectiveCost: '4', listCost: '6', records: 1 },
    ]);
    expect(byService.totals).toEqual([
      { currency: 'USD', billedCost: '1420.48', effectiveCost: '1390.48', listCost: '1520.4812', records: 1002 },
      { currency: 'EUR', billedCost: '5', effectiveCost: '4', listCost: '6', records: 1 },
    ]);
    const byTeam = await summarizeCosts(records, { from: '2026-11-01', to: '2026-11-30', groupBy: 'tag:team' });
    expect(byTeam.groups.map((g) => [g.key, g.currency, g.effectiveCost])).toEqual([
      ['platform', 'USD', '1320.4812'],
      ['research', 'USD', '70'],
      [null, 'EUR', '4'],
      [null, 'USD', '-0.0012'],
    ]);
  });

  it('validates the query and the window', () => {
    expect(costQuerySchema.safeParse({ from: '2026-11-01', to: '2026-11-30', groupBy: 'Color' }).success).toBe(false);
    expect(costQuerySchema.parse({ from: '2026-11-01', to: '2026-11-30' }).groupBy).toBe('ServiceName');
    expect(costQuerySchema.parse({ from: '2026-11-01', to: '2026-11-30', groupBy: 'tag:cost-center' }).groupBy).toBe('tag:cost-center');
    expect(() => checkCostWindow({ from: '2026-11-30', to: '2026-11-01' })).toThrow('from: must be before to');
    expect(() => checkCostWindow({ from: '2024-01-01', to: '2026-11-01' })).toThrow('at most 400 days');
  });
});

describe('FOCUS CSV', () => {
  it('writes one header and one row per record, quoting and defusing formulas', () => {
    const header = focusCsvHeader().trim().split(',');
    expect(header.slice(0, 3)).toEqual(['BilledCost', 'BillingAccountId', 'BillingAccountName']);
    const row = focusCsvRow(
      focusRecord({ BilledCost: '-1.5', ChargeDescription: '=HYPERLINK("x")', ResourceName: 'gpu, "a"', Tags: { team: 'ml' } }),
    );
    const cells = row.trim();
    expect(cells.startsWith('-1.5,111122223333,,USD,')).toBe(true);
    expect(cells).toContain(`"'=HYPERLINK(""x"")"`);
    expect(cells).toContain('"gpu, ""a"""');
    expect(cells).toContain('"{""team"":""ml""}"');
  });
});
