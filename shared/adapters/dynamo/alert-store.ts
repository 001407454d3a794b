import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailure } from './client.js';
import { ledgerKeys, type TableKey } from './table.js';

const ALERT_RETENTION_DAYS = 400;

/**
 * Once-only records for alerts. The analysis claims an alert before it publishes the event (and releases the claim
 * when the publish fails, so the next run tries again); the notifier claims each delivery per channel before it
 * sends (and releases it when the send fails). A claim is a conditional put, so concurrent runs agree on one winner.
 * Keys: `alertClaim` and `deliveryClaim` in `table.ts`.
 */
export class DynamoAlertStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** True when this call claimed the alert; false when it was claimed before. */
  claimAlert(alertKey: string, nowMs: number): Promise<boolean> {
    return this.claim(ledgerKeys.alertClaim.key(alertKey), nowMs);
  }

  releaseAlert(alertKey: string): Promise<void> {
    return this.release(ledgerKeys.alertClaim.key(alertKey));
  }

  /** True when this call claimed the delivery of the alert on the channel (e.g. `slack:<webhook digest>`, `email`). */
  claimDelivery(alertKey: string, channel: string, nowMs: number): Promise<boolean> {
    return this.claim(ledgerKeys.deliveryClaim.key(alertKey, channel), nowMs);
  }

  releaseDelivery(alertKey: string, channel: string): Promise<void> {
    return this.release(ledgerKeys.deliveryClaim.key(alertKey, channel));
  }

  private async claim(key: TableKey, nowMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, claimedAt: new Date(nowMs).toISOString(), expiresAt: Math.floor(nowMs / 1000) + ALERT_RETENTION_DAYS * 86_400 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  private async release(key: TableKey): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: key }));
  }
}
