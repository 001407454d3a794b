import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnomalyView } from '../../../events/analysis.js';
import type { AnomalyVerdict } from '../../domain/anomalies/anomalies.js';
import { mapWithConcurrency } from '../../concurrency.js';
import { isConditionalCheckFailure } from './client.js';
import { queryAll } from './query.js';
import { DAY_MS } from '../../domain/core/utc-time.js';
import { ledgerKeys } from './table.js';

/**
 * Anomalies the analysis raised, with the feedback people gave on them (keys listed in `table.ts`):
 * - `anomaly`: the view as last computed (`v`, JSON), when it was first and last
 *   detected, and the feedback attributes, which detection never writes and feedback never overwrites `v`;
 * - `anomalyByDay` (gsi1): anomalies by day, a month per partition.
 */
const RETENTION_DAYS = 400;

export interface AnomalyFeedback {
  verdict: AnomalyVerdict;
  note: string | null;
  at: string;
  /** Name of the token that gave it. */
  by: string | null;
}

export interface StoredAnomaly {
  anomaly: AnomalyView;
  firstDetectedAt: string;
  detectedAt: string;
  feedback: AnomalyFeedback | null;
}

const monthOf = (date: string) => date.slice(0, 7);

type Item = Record<string, unknown>;

function fromItem(item: Item): StoredAnomaly {
  const feedback: AnomalyFeedback | null =
    item.feedback === 'expected' || item.feedback === 'unexpected'
      ? {
          verdict: item.feedback,
          note: (item.feedbackNote as string | undefined) ?? null,
          at: item.feedbackAt as string,
          by: (item.feedbackBy as string | undefined) ?? null,
        }
      : null;
  const view = JSON.parse(item.v as string) as AnomalyView;
  return {
    anomaly: { ...view, feedback: feedback?.verdict ?? null },
    firstDetectedAt: item.firstDetectedAt as string,
    detectedAt: item.detectedAt as string,
    feedback,
  };
}

/** The months [yyyy-mm] that the days [from, to] touch. */
function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  const end = monthOf(to);
  for (let t = Date.parse(`${monthOf(from)}-01T00:00:00Z`); ;) {
    const month = new Date(t).toISOString().slice(0, 7);
    months.push(month);
    if (month >= end) return months;
    const d = new Date(t);
    t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
}

export class DynamoAnomalyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Store (or refresh) what a run computed; feedback already given is kept. */
  async putAnomalies(anomalies: readonly AnomalyView[], nowMs: number): Promise<void> {
    const now = new Date(nowMs).toISOString();
    await mapWithConcurrency(anomalies, 8, async (anomaly) => {
      const { feedback: _feedback, ...view } = anomaly;
      const byDay = ledgerKeys.anomalyByDay.key(anomaly.date, anomaly.anomalyId);
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ledgerKeys.anomaly.key(anomaly.anomalyId),
          UpdateExpression:
            'SET v = :v, gsi1pk = :gpk, gsi1sk = :gsk, detectedAt = :now, firstDetectedAt = if_not_exists(firstDetectedAt, :now), expiresAt = :exp',
          ExpressionAttributeValues: {
            ':v': JSON.stringify(view),
            ':gpk': byDay.gsi1pk,
            ':gsk': byDay.gsi1sk,
            ':now': now,
            ':exp': Math.floor((Date.parse(`${anomaly.date}T00:00:00Z`) + RETENTION_DAYS * DAY_MS) / 1000),
          },
        }),
      );
    });
  }

  /** Anomalies of the days [from, to] (both included, yyyy-mm-dd), oldest day first: one query per month. */
  async listAnomalies(query: { from: string; to: string; kind?: AnomalyView['kind'] | undefined }): Promise<StoredAnomaly[]> {
    const out: StoredAnomaly[] = [];
    for (const month of monthsBetween(query.from, query.to)) {
      const range = ledgerKeys.anomalyByDay.range(month, query.from, query.to);
      for await (const item of queryAll(this.db, {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':pk': range.pk, ':a': range.from, ':b': range.to },
      })) {
        const stored = fromItem(item);
        if (!query.kind || stored.anomaly.kind === query.kind) out.push(stored);
      }
    }
    return out;
  }

  /** Record the feedback on an anomaly; null when there is no such anomaly. */
  async setFeedback(anomalyId: string, feedback: AnomalyFeedback): Promise<StoredAnomaly | null> {
    const set = ['feedback = :verdict', 'feedbackAt = :at'];
    const remove: string[] = [];
    const values: Record<string, string> = { ':verdict': feedback.verdict, ':at': feedback.at };
    for (const [attribute, placeholder, value] of [
      ['feedbackNote', ':note', feedback.note],
      ['feedbackBy', ':by', feedback.by],
    ] as const) {
      if (value === null) {
        remove.push(attribute);
      } else {
        set.push(`${attribute} = ${placeholder}`);
        values[placeholder] = value;
      }
    }
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ledgerKeys.anomaly.key(anomalyId),
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? fromItem(Attributes) : null;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return null;
      throw error;
    }
  }
}
