import type { CostTotals, RunProgress } from '../../domain/providers/collector-runs.js';
import type { KeyedFocusRecord } from '../../domain/costs/focus.js';
import type { CloudProvider } from '../../domain/providers/gpu-catalog.js';
import { formatDecimal, parseDecimal } from '../../domain/core/money.js';

/** What the cost collectors need of the cost store. */
export interface CostRecordStore {
  putRecords(runId: string, records: readonly KeyedFocusRecord[]): Promise<void>;
  removeStale(runId: string, provider: CloudProvider, accounts: Iterable<string>, period: { start: string; end: string }): Promise<number>;
}

/**
 * Writes a cost run's records in groups as they stream in (only one group is held), counts them as the run's
 * rows, and keeps exact BilledCost and EffectiveCost sums per currency.
 */
export class CostRecordWriter {
  private group: KeyedFocusRecord[] = [];
  private readonly sums = new Map<string, { billed: bigint; effective: bigint }>();

  constructor(
    private readonly store: CostRecordStore,
    private readonly progress: RunProgress,
    private readonly groupSize = 500,
  ) {}

  async add(record: KeyedFocusRecord): Promise<void> {
    const currency = record.record.BillingCurrency;
    const sum = this.sums.get(currency) ?? { billed: 0n, effective: 0n };
    sum.billed += parseDecimal(record.record.BilledCost);
    sum.effective += parseDecimal(record.record.EffectiveCost);
    this.sums.set(currency, sum);
    this.group.push(record);
    if (this.group.length >= this.groupSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.group.length === 0) return;
    const group = this.group;
    this.group = [];
    await this.store.putRecords(this.progress.runId, group);
    this.progress.rows(group.length);
  }

  /** Deletes the records of these accounts and days that this run did not write (call after a complete run). */
  async removeStale(provider: CloudProvider, accounts: Iterable<string>, period: { start: string; end: string }): Promise<number> {
    await this.flush();
    return this.store.removeStale(this.progress.runId, provider, accounts, {
      start: `${period.start}T00:00:00Z`,
      end: `${period.end}T00:00:00Z`,
    });
  }

  totals(): CostTotals[] {
    return [...this.sums.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, sum]) => ({ currency, billedCost: formatDecimal(sum.billed), effectiveCost: formatDecimal(sum.effective) }));
  }
}
