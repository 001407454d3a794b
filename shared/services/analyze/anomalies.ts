import { anomalyDetected, type AnomalyView } from '../../../events/analysis.js';
import type { AnomalyFeedback } from '../../adapters/dynamo/anomaly-store.js';
import type { AnomalyFeedbackInput, AnomalyQuery } from '../../domain/anomalies/anomaly-query.js';
import {
  anomalyThresholds,
  anomalyWindow,
  excludedSeriesDays,
  SpendSeriesFold,
  UsageDriftFold,
  type AnomalyVerdict,
} from '../../domain/anomalies/anomalies.js';
import { compareDecimal, parseDecimal } from '../../domain/core/money.js';
import { notFound } from '../../errors.js';
import { raiseOnce } from '../notify/raise-once.js';
import { DAY_MS } from '../../domain/core/utc-time.js';
import type { AlertClaims, AnomalyRecords, CostRecords, UsageMinutes } from '../stores.js';
import type { LedgerConfig } from '../../config.js';
import type { EventPublisher } from '../../adapters/events.js';

export interface AnomalyDetectionDependencies {
  config: Pick<LedgerConfig, 'LEDGER_TEAM_TAG' | 'LEDGER_ANOMALY_MIN_SCORE' | 'LEDGER_ANOMALY_MIN_DOLLARS' | 'LEDGER_ANOMALY_MIN_PERCENT'>;
  costs: CostRecords;
  usage: UsageMinutes;
  anomalies: Pick<AnomalyRecords, 'listAnomalies' | 'putAnomalies'>;
  alerts: AlertClaims;
  events: EventPublisher;
}

/** The alert identity of an anomaly, claimed once before `anomaly.detected` is published. */
export const anomalyAlertKey = (anomalyId: string) => `anomaly:${anomalyId}`;

/**
 * Spend anomalies and LLM usage drift of one UTC day (see `shared/domain/anomalies.ts` for the method).
 *
 * Reads the anomalies stored for the 56 days before `date` and the day itself (their feedback), the cost records
 * of those 57 days (one query per day, folded as they arrive) and the usage minute rollups (one day at a time);
 * stores what it finds (keeping feedback), then claims and publishes `anomaly.detected` for each anomaly not yet
 * alerted and not marked `expected`. Returns the anomalies of the day, feedback included.
 */
export async function detectAnomalies(deps: AnomalyDetectionDependencies, input: { date: string; nowMs: number }): Promise<AnomalyView[]> {
  const window = anomalyWindow(input.date);
  const stored = await deps.anomalies.listAnomalies({ from: window.from, to: window.date });
  const feedback = new Map<string, AnomalyVerdict>();
  for (const { anomaly } of stored) if (anomaly.feedback) feedback.set(anomaly.anomalyId, anomaly.feedback);
  const excluded = excludedSeriesDays(stored.map((s) => s.anomaly).filter((a) => a.date < window.date));

  const spend = new SpendSeriesFold(window, { teamTag: deps.config.LEDGER_TEAM_TAG, excluded });
  for await (const record of deps.costs.records({ from: window.from, to: window.to })) spend.add(record);

  const drift = new UsageDriftFold(window, { excluded });
  for (const day of window.days) {
    const from = Date.parse(`${day}T00:00:00Z`);
    for (const rollup of await deps.usage.usageMinutes({ from, to: from + DAY_MS })) drift.add(rollup);
  }

  const thresholds = anomalyThresholds(deps.config);
  const anomalies = [...spend.anomalies(thresholds, feedback), ...drift.anomalies(thresholds, feedback)];
  await deps.anomalies.putAnomalies(anomalies, input.nowMs);
  await publishNewAnomalies(deps, anomalies, input.nowMs);
  return anomalies;
}

/** Alerts each anomaly not marked `expected` once. */
async function publishNewAnomalies(
  deps: Pick<AnomalyDetectionDependencies, 'alerts' | 'events'>,
  anomalies: readonly AnomalyView[],
  nowMs: number,
): Promise<void> {
  const at = new Date(nowMs).toISOString();
  const alerts = anomalies
    .filter((anomaly) => anomaly.feedback !== 'expected')
    .map((anomaly) => {
      const alertKey = anomalyAlertKey(anomaly.anomalyId);
      return { alertKey, event: anomalyDetected.create({ ...anomaly, alertKey, at }) };
    });
  await raiseOnce(deps, alerts, nowMs);
}

/** `GET /v1/anomalies`: the stored anomalies of the days, newest day first, largest dollar delta first within a day. */
export async function listAnomalies(deps: { anomalies: Pick<AnomalyRecords, 'listAnomalies'> }, query: AnomalyQuery) {
  const stored = await deps.anomalies.listAnomalies(query);
  return stored
    .map(({ anomaly, firstDetectedAt, detectedAt }) => ({ ...anomaly, firstDetectedAt, detectedAt }))
    .sort(
      (a, b) =>
        b.date.localeCompare(a.date) ||
        compareDecimal(parseDecimal(b.delta), parseDecimal(a.delta)) ||
        a.anomalyId.localeCompare(b.anomalyId),
    );
}

/**
 * `POST /v1/anomalies/{id}/feedback`: `expected` stops the alert and keeps the day in later baselines;
 * `unexpected` keeps it flagged and out of them. Giving feedback again replaces it.
 */
export async function recordAnomalyFeedback(
  deps: { anomalies: Pick<AnomalyRecords, 'setFeedback'> },
  anomalyId: string,
  input: AnomalyFeedbackInput,
  context: { by: string | null; nowMs: number },
): Promise<{ anomaly: AnomalyView; feedback: AnomalyFeedback }> {
  const stored = await deps.anomalies.setFeedback(anomalyId, {
    verdict: input.verdict,
    note: input.note ?? null,
    at: new Date(context.nowMs).toISOString(),
    by: context.by,
  });
  if (!stored?.feedback) throw notFound(`id: no anomaly ${anomalyId}`);
  return { anomaly: stored.anomaly, feedback: stored.feedback };
}
