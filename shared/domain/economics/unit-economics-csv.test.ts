import { describe, expect, it } from 'vitest';
import { unitEconomicsRow } from '../../../test/support/digest.js';
import { unitEconomicsCsv, unitEconomicsCsvColumns, unitEconomicsCsvHeader, unitEconomicsCsvRow } from './unit-economics-csv.js';

describe('unit economics as CSV', () => {
  it('writes one line a row in the header order, null as empty', () => {
    expect(unitEconomicsCsvHeader()).toBe(`${unitEconomicsCsvColumns.join(',')}\r\n`);
    const line = unitEconomicsCsvRow(
      unitEconomicsRow({ scopeKind: 'job', scope: 'ft-42', cost: '660.24', epochs: 3, costPerEpoch: '220.08' }),
    );
    const cells = line.trimEnd().split(',');
    const at = (c: (typeof unitEconomicsCsvColumns)[number]) => cells[unitEconomicsCsvColumns.indexOf(c)];
    expect([at('scopeKind'), at('scope'), at('cost'), at('epochs'), at('costPerEpoch'), at('idleHeldCost')]).toEqual([
      'job',
      'ft-42',
      '660.24',
      '3',
      '220.08',
      '0',
    ]);
    expect(
      unitEconomicsCsvRow(unitEconomicsRow({ costPerMillionTokens: null })).split(',')[
        unitEconomicsCsvColumns.indexOf('costPerMillionTokens')
      ],
    ).toBe('');
  });

  it('quotes what needs quoting and defuses spreadsheet formulas in workload names', () => {
    const formula = unitEconomicsCsvRow(unitEconomicsRow({ scopeKind: 'pod', scope: '=HYPERLINK("http://x","y")' }));
    expect(formula).toContain(`,"'=HYPERLINK(""http://x"",""y"")",`);
    const comma = unitEconomicsCsvRow(unitEconomicsRow({ scopeKind: 'job', scope: 'a,b\nc' }));
    expect(comma).toContain(',"a,b\nc",');
    // A negative amount is a number, not a formula.
    expect(unitEconomicsCsvRow(unitEconomicsRow({ cost: '-12.5' }))).toContain(',-12.5,');
  });
});

describe('the whole export', () => {
  it('orders rows by start, scope kind and scope, and refuses an export past its byte limit naming from', () => {
    const rows = [
      unitEconomicsRow({ scopeKind: 'pod', scope: 'ns/b' }),
      unitEconomicsRow({ scopeKind: 'pod', scope: 'ns/a' }),
      unitEconomicsRow({ scopeKind: 'job', scope: 'ft-1', start: '2026-11-19T00:00:00.000Z' }),
    ];
    const lines = unitEconomicsCsv(rows).trimEnd().split('\r\n');
    const scope = unitEconomicsCsvColumns.indexOf('scope');
    expect(lines.slice(1).map((l) => l.split(',')[scope])).toEqual(['ft-1', 'ns/a', 'ns/b']);
    expect(() => unitEconomicsCsv(rows, 300)).toThrow(/^from: the export is over 300 bytes/);
  });
});
