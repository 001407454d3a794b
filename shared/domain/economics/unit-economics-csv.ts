import { badRequest } from '../../errors.js';
import { csvCell } from '../costs/cost-query.js';
import type { UnitEconomicsRow } from './unit-economics-row.js';

/**
 * Unit-economics rows as CSV, one row a line, for chargeback by team, namespace, pod or job. Scope names come from
 * workloads (untrusted text): every cell is quoted where needed and spreadsheet formulas are defused.
 */
export const unitEconomicsCsvColumns = [
  'period',
  'start',
  'end',
  'scopeKind',
  'scope',
  'currency',
  'cost',
  'apiCost',
  'paidGpuHours',
  'effectiveGpuHours',
  'effectiveUtilization',
  'idleCost',
  'idleHeldGpuHours',
  'idleHeldCost',
  'costPerEffectiveGpuHour',
  'tokens',
  'requests',
  'costPerMillionTokens',
  'costPer1kRequests',
  'energyKwh',
  'kwhPerMillionTokens',
  'epochs',
  'costPerEpoch',
] as const satisfies readonly (keyof UnitEconomicsRow)[];

export function unitEconomicsCsvHeader(): string {
  return `${unitEconomicsCsvColumns.join(',')}\r\n`;
}

export function unitEconomicsCsvRow(row: UnitEconomicsRow): string {
  return `${unitEconomicsCsvColumns.map((c) => csvCell(row[c])).join(',')}\r\n`;
}

/** Lambda answers at most 6 MB; past this the client is asked to narrow the window. */
export const MAX_CSV_BYTES = 5_000_000;

/** The whole CSV in (start, scope kind, scope) order; a 400 naming `from` when it would pass `maxBytes`. */
export function unitEconomicsCsv(rows: readonly UnitEconomicsRow[], maxBytes = MAX_CSV_BYTES): string {
  const sorted = [...rows].sort(
    (a, b) => a.start.localeCompare(b.start) || a.scopeKind.localeCompare(b.scopeKind) || a.scope.localeCompare(b.scope),
  );
  const parts = [unitEconomicsCsvHeader()];
  let bytes = parts[0]!.length;
  for (const row of sorted) {
    const line = unitEconomicsCsvRow(row);
    bytes += Buffer.byteLength(line);
    if (bytes > maxBytes)
      throw badRequest(`from: the export is over ${maxBytes} bytes; narrow the window or name a scopeKind`, { path: 'from' });
    parts.push(line);
  }
  return parts.join('');
}
