import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { digestModelSchema, type DigestModel } from '../../domain/digest/digest-model.js';
import { ledgerKeys } from './table.js';

const DIGEST_RETENTION_DAYS = 400;

/**
 * Daily digests, one item per UTC day (`digest` in `table.ts`). The model is stored as gzipped JSON,
 * because a large fleet's unit-economics rows would pass DynamoDB's 400 KB item limit as plain text. Writing the
 * same day again replaces it (a rerun of the digest).
 */
export class DynamoDigestStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putDigest(model: DigestModel): Promise<void> {
    const digest = digestModelSchema.parse(model);
    const dayMs = Date.parse(`${digest.date}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(digest.date) || !Number.isFinite(dayMs))
      throw new RangeError(`digest date must be a yyyy-mm-dd day, got ${digest.date}`);
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...ledgerKeys.digest.key(digest.date),
          generatedAt: digest.generatedAt,
          digestJsonGzip: gzipSync(JSON.stringify(digest)),
          expiresAt: Math.floor(dayMs / 1000) + DIGEST_RETENTION_DAYS * 86_400,
        },
      }),
    );
  }

  /** The digest of a day, or undefined when none was built. */
  async getDigest(date: string): Promise<DigestModel | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: ledgerKeys.digest.key(date), ConsistentRead: true }));
    if (!out.Item) return undefined;
    return digestModelSchema.parse(JSON.parse(gunzipSync(out.Item.digestJsonGzip as Uint8Array).toString('utf8')));
  }
}
