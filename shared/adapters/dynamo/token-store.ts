import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredToken, TokenStore } from '../../domain/access/tokens.js';
import { isConditionalCheckFailure } from './client.js';
import { queryAll } from './query.js';
import { ledgerKeys } from './table.js';

const tokenKey = ledgerKeys.token.key;

function fromItem(item: Record<string, unknown>): StoredToken {
  return {
    keyId: item.keyId as string,
    name: item.name as string,
    scopes: item.scopes as StoredToken['scopes'],
    hash: item.hash as string,
    createdAt: item.createdAt as string,
    revokedAt: item.revokedAt as string | undefined,
  };
}

export class DynamoTokenStore implements TokenStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getToken(keyId: string): Promise<StoredToken | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: tokenKey(keyId) }));
    return Item ? fromItem(Item) : null;
  }

  async putToken(token: StoredToken): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...tokenKey(token.keyId), ...ledgerKeys.tokenByCreation.key(token.createdAt, token.keyId), ...token },
      }),
    );
  }

  async listTokens(): Promise<StoredToken[]> {
    const out: StoredToken[] = [];
    const query = {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': ledgerKeys.tokenByCreation.pk },
    };
    for await (const item of queryAll(this.db, query)) out.push(fromItem(item));
    return out;
  }

  async revokeToken(keyId: string, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: tokenKey(keyId),
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }
}

/** Remembers lookups for a few seconds so a busy ingest path does not read its token on every request. */
export class CachedTokenReader implements Pick<TokenStore, 'getToken'> {
  private readonly entries = new Map<string, { at: number; token: StoredToken }>();

  constructor(
    private readonly store: Pick<TokenStore, 'getToken'>,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async getToken(keyId: string): Promise<StoredToken | null> {
    const hit = this.entries.get(keyId);
    if (hit && this.clock() - hit.at < this.ttlMs) return hit.token;
    const token = await this.store.getToken(keyId);
    if (token === null) return null; // never remember a miss: a token created a moment ago must work at once
    if (this.entries.size > 1000) this.entries.clear();
    this.entries.set(keyId, { at: this.clock(), token });
    return token;
  }
}
