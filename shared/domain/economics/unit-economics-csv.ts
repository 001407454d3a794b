import { BoundedCsv, MAX_CSV_BYTES, csvCell } from '../core/csv.js';
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

/** The whole CSV in (start, scope kind, scope) order; a 400 naming `from` when it would pass `maxBytes`. */
export function unitEconomicsCsv(rows: readonly UnitEconomicsRow[], maxBytes = MAX_CSV_BYTES): string {
  const sorted = [...rows].sort(
    (a, b) => a.start.localeCompare(b.start) || a.scopeKind.localeCompare(b.scopeKind) || a.scope.localeCompare(b.scope),
  );
  const csv = new BoundedCsv(unitEconomicsCsvHeader(), 'name a scopeKind', maxBytes);
  for (const row of sorted) csv.add(unitEconomicsCsvRow(row));
  return csv.text();
}
