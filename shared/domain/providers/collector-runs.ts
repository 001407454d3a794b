import type { CloudProvider } from './gpu-catalog.js';

/**
 * Every collector run, whatever its end, leaves a run record; a failed one also publishes
 * `collector.failed`. A provider without credentials is `not-configured`, reported once per process.
 */
export const collectorNames = [
  'aws-costs',
  'azure-costs',
  'gcp-costs',
  'aws-prices',
  'azure-prices',
  'gcp-prices',
  'aws-capacity',
] as const;
export type CollectorName = (typeof collectorNames)[number];
export type RunStatus = 'ok' | 'partial' | 'failed' | 'not-configured';

export interface CostTotals {
  currency: string;
  billedCost: string;
  effectiveCost: string;
}

export interface CollectorRun {
  runId: string;
  collector: CollectorName;
  provider: CloudProvider;
  periodStart: string;
  periodEnd: string;
  status: RunStatus;
  rows: number;
  pages: number;
  startedAt: string;
  durationMs: number;
  error?: string;
  /** Parts that failed in a partial run (an account, a region), each with its reason. */
  failures?: string[];
  totals?: CostTotals[];
}

export interface RunProgress {
  /** The run's id, for what the run writes (cost records carry it, so stale ones can be told apart). */
  runId: string;
  page(): void;
  rows(n: number): void;
}

export interface CollectorOutcome {
  failures?: string[];
  totals?: CostTotals[];
}

export interface RunSpec {
  collector: CollectorName;
  provider: CloudProvider;
  periodStart: string;
  periodEnd: string;
  /** `true`, or what is missing (never a secret). */
  configured: true | { missing: string };
}
