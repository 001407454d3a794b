import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailure } from './client.js';

const ALERT_RETENTION_DAYS = 400;

/**
 * Once-only records for alerts. The analysis claims an alert before it publishes the event (and releases the claim
 * when the publish fails, so the next run tries again); the notifier claims each delivery per channel before it
 * sends (and releases it when the send fails). A claim is a conditional put, so concurrent runs agree on one winner.
 *
 * | pattern            | key                                                  |
 * |--------------------|------------------------------------------------------|
 * | alert raised once  | pk = ALERT#<alertKey>, sk = ALERT                    |
 * | delivery sent once | pk = DELIVERY#<alertKey>, sk = <channel>             |
 */
export class DynamoAlertStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** True when this call claimed the alert; false when it was claimed before. */
  claimAlert(alertKey: string, nowMs: number): Promise<boolean> {
    return this.claim(`ALERT#${alertKey}`, 'ALERT', nowMs);
  }

  releaseAlert(alertKey: string): Promise<void> {
    return this.release(`ALERT#${alertKey}`, 'ALERT');
  }

  /** True when this call claimed the delivery of the alert on the channel (e.g. `slack:<webhook digest>`, `email`). */
  claimDelivery(alertKey: string, channel: string, nowMs: number): Promise<boolean> {
    return this.claim(`DELIVERY#${alertKey}`, channel, nowMs);
  }

  releaseDelivery(alertKey: string, channel: string): Promise<void> {
    return this.release(`DELIVERY#${alertKey}`, channel);
  }

  private async claim(pk: string, sk: string, nowMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk, sk, claimedAt: new Date(nowMs).toISOString(), expiresAt: Math.floor(nowMs / 1000) + ALERT_RETENTION_DAYS * 86_400 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  private async release(pk: string, sk: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { pk, sk } }));
  }
}
