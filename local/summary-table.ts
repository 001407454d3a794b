import type { UtilizationReport } from '../shared/domain/measurements/utilization.js';

/** A fixed-width text table. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null, d = 2) => (v === null ? '-' : v.toFixed(d));

export function fleetSummaryTable(report: UtilizationReport): string {
  const rows = report.hosts.map((h) => [
    h.hostId,
    h.pool ?? '-',
    h.gpus.length,
    num(h.totals.observedGpuHours),
    num(h.totals.effectiveGpuHours),
    pct(h.totals.effectiveUtilization),
    num(h.totals.idleHeldGpuHours),
    h.totals.basis,
    num(h.totals.meanGpuUtil, 1),
    num(h.totals.averagePowerW, 0),
    num(h.totals.energyKWh, 3),
  ]);
  const t = report.totals;
  rows.push([
    'TOTAL',
    '',
    t.gpus,
    num(t.observedGpuHours),
    num(t.effectiveGpuHours),
    pct(t.effectiveUtilization),
    num(t.idleHeldGpuHours),
    t.basis,
    num(t.meanGpuUtil, 1),
    num(t.averagePowerW, 0),
    num(t.energyKWh, 3),
  ]);
  return formatTable(
    ['host', 'pool', 'GPUs', 'paid GPU-h', 'effective GPU-h', 'effective', 'idle-held GPU-h', 'basis', 'GPU util %', 'avg W', 'kWh'],
    rows,
  );
}
