import { parseArgs } from 'node:util';
import { createDocumentClient } from '../shared/adapters/dynamo/client.js';
import { DynamoTokenStore } from '../shared/adapters/dynamo/token-store.js';
import { createToken, scopeSchema } from '../shared/domain/access/tokens.js';
import { formatTable } from './summary-table.js';
import type { StoreConnection } from './store-connection.js';

/** `ledger tokens create|list|revoke`. */
export async function tokensCommand(argv: string[], store: StoreConnection, out: (line: string) => void): Promise<number> {
  const [action, ...rest] = argv;
  const tokens = new DynamoTokenStore(
    createDocumentClient({ region: process.env.AWS_REGION ?? 'us-east-1', endpoint: store.endpoint }),
    store.tableName,
  );
  switch (action) {
    case 'create': {
      const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, scopes: { type: 'string', default: 'read' } } });
      if (!values.name) throw new UsageError('tokens create needs --name <name>');
      const scopes = values.scopes.split(',').map((s) => s.trim());
      const parsed = scopes.map((s) => scopeSchema.safeParse(s));
      const bad = scopes.filter((_, i) => !parsed[i]!.success);
      if (bad.length) throw new UsageError(`--scopes: unknown scope ${bad.join(', ')}; use ingest, read, admin`);
      const { token, stored } = await createToken(tokens, { name: values.name, scopes: parsed.map((p) => p.data!), now: new Date() });
      out(`Created token ${stored.keyId} (${stored.name}; scopes ${stored.scopes.join(',')}). It is shown once:`);
      out(token);
      return 0;
    }
    case 'list': {
      const all = await tokens.listTokens();
      out(
        formatTable(
          ['key id', 'name', 'scopes', 'created', 'revoked'],
          all.map((t) => [t.keyId, t.name, t.scopes.join(','), t.createdAt, t.revokedAt ?? '-']),
        ),
      );
      return 0;
    }
    case 'revoke': {
      const keyId = rest[0];
      if (!keyId) throw new UsageError('tokens revoke needs the key id shown by tokens list');
      if (!(await tokens.revokeToken(keyId, new Date().toISOString()))) {
        out(`No token with key id ${keyId}.`);
        return 1;
      }
      out(`Revoked ${keyId}.`);
      return 0;
    }
    default:
      throw new UsageError('tokens create --name <name> --scopes ingest,read,admin | tokens list | tokens revoke <key id>');
  }
}

export class UsageError extends Error {
  override name = 'UsageError';
}
