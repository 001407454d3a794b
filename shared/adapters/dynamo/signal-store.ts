import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SignalType, SignalView } from '../../../events/analysis.js';
import { mapWithConcurrency } from '../../concurrency.js';
import { parseDecimal, roundDecimal } from '../../domain/core/money.js';
import type { RaisedSignal } from '../../domain/signals/signals.js';
import type { SignalStatus, StoredSignal } from '../../domain/signals/signal-query.js';
import { isConditionalCheckFailure } from './client.js';
import { queryAll } from './query.js';
import { ledgerKeys } from './table.js';

/** A resolved signal is kept this long, then expires. */
const RESOLVED_RETENTION_DAYS = 400;
const CENTS_DIVISOR = 10n ** 10n;

/**
 * Recontracting signals, one item per signal id. A run upserts what it raises (firstRaisedAt kept, updatedAt and
 * the numbers replaced, reopened if it was resolved) and resolves the open ones it no longer raises. Keys: `signal`
 * and `signalByImpact` (largest impact first) in `table.ts`.
 */
export class DynamoSignalStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Stores a signal a run raised at `nowMs`; a run older than the stored update changes nothing. */
  async upsert(signal: RaisedSignal, nowMs: number): Promise<SignalView> {
    const now = new Date(nowMs).toISOString();
    const byImpact = ledgerKeys.signalByImpact.key({ status: 'open', impactCents: impactCents(signal), signalId: signal.signalId });
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ledgerKeys.signal.key(signal.signalId),
          UpdateExpression:
            'SET #first = if_not_exists(#first, :now), #updated = :now, #status = :open, #signal = :signal, #type = :type, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk REMOVE #resolved, expiresAt',
          ConditionExpression: 'attribute_not_exists(#updated) OR #updated <= :now',
          ExpressionAttributeNames: {
            '#first': 'firstRaisedAt',
            '#updated': 'updatedAt',
            '#status': 'status',
            '#signal': 'signal',
            '#type': 'signalType',
            '#resolved': 'resolvedAt',
          },
          ExpressionAttributeValues: {
            ':now': now,
            ':open': 'open',
            ':signal': JSON.stringify(signal),
            ':type': signal.type,
            ':gsi1pk': byImpact.gsi1pk,
            ':gsi1sk': byImpact.gsi1sk,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toView(storedSignal(out.Attributes!));
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      const stored = await this.get(signal.signalId);
      if (!stored) throw error;
      return toView(stored);
    }
  }

  async get(signalId: string): Promise<StoredSignal | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: ledgerKeys.signal.key(signalId) }));
    return out.Item ? storedSignal(out.Item) : undefined;
  }

  /** Signals of one status, largest monthly impact first. */
  async list(query: { status: SignalStatus; type?: SignalType | undefined; limit?: number | undefined }): Promise<StoredSignal[]> {
    const out: StoredSignal[] = [];
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    for await (const item of queryAll(this.db, {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': ledgerKeys.signalByImpact.pk(query.status) },
      ScanIndexForward: false,
    })) {
      const signal = storedSignal(item);
      if (query.type && signal.type !== query.type) continue;
      out.push(signal);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Marks open signals resolved at `nowMs`. One updated by this run or a later one stays open, so a slow run
   * cannot resolve what a newer run raised. Returns the ids it resolved.
   */
  async resolve(signalIds: readonly string[], nowMs: number): Promise<string[]> {
    const now = new Date(nowMs).toISOString();
    const resolved = await mapWithConcurrency(signalIds, 8, async (signalId) => {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: ledgerKeys.signal.key(signalId),
            UpdateExpression: 'SET #status = :resolvedStatus, #resolved = :now, gsi1pk = :gsi1pk, expiresAt = :expiresAt',
            ConditionExpression: '#status = :open AND #updated < :now',
            ExpressionAttributeNames: { '#status': 'status', '#resolved': 'resolvedAt', '#updated': 'updatedAt' },
            ExpressionAttributeValues: {
              ':resolvedStatus': 'resolved',
              ':open': 'open',
              ':now': now,
              ':gsi1pk': ledgerKeys.signalByImpact.pk('resolved'),
              ':expiresAt': Math.floor(nowMs / 1000) + RESOLVED_RETENTION_DAYS * 86_400,
            },
          }),
        );
        return signalId;
      } catch (error) {
        if (isConditionalCheckFailure(error)) return undefined;
        throw error;
      }
    });
    return resolved.filter((id) => id !== undefined);
  }
}

/** Monthly impact in whole cents (the key pads it, so string order is impact order). */
function impactCents(signal: RaisedSignal): bigint {
  return roundDecimal(parseDecimal(signal.monthlyImpact), 2) / CENTS_DIVISOR;
}

function storedSignal(item: Record<string, unknown>): StoredSignal {
  const signal = JSON.parse(item.signal as string) as RaisedSignal;
  return {
    ...signal,
    firstRaisedAt: item.firstRaisedAt as string,
    updatedAt: item.updatedAt as string,
    status: item.status as SignalStatus,
    resolvedAt: (item.resolvedAt as string | undefined) ?? null,
  };
}

function toView(stored: StoredSignal): SignalView {
  const { status: _status, resolvedAt: _resolvedAt, ...view } = stored;
  return view;
}
