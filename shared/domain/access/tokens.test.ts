import { describe, expect, it } from 'vitest';
import {
  authenticate,
  createToken,
  generateTokenSecret,
  grants,
  hashToken,
  keyIdOf,
  tokenMatches,
  type StoredToken,
  type TokenStore,
} from './tokens.js';

function memoryStore(): TokenStore & { items: Map<string, StoredToken> } {
  const items = new Map<string, StoredToken>();
  return {
    items,
    getToken: async (id) => items.get(id) ?? null,
    putToken: async (t) => void items.set(t.keyId, t),
    listTokens: async () => [...items.values()],
    revokeToken: async (id, at) => {
      const t = items.get(id);
      if (!t) return false;
      t.revokedAt ??= at;
      return true;
    },
  };
}

describe('tokens', () => {
  it('stores only a hash, and finds the token by a key id derived from it', async () => {
    const store = memoryStore();
    const { token, stored } = await createToken(store, { name: 'ci', scopes: ['ingest', 'ingest'], now: new Date('2026-11-20T00:00:00Z') });
    expect(token).toMatch(/^cl_[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify([...store.items.values()])).not.toContain(token);
    expect(stored).toEqual({
      keyId: keyIdOf(token),
      name: 'ci',
      scopes: ['ingest'],
      hash: hashToken(token),
      createdAt: '2026-11-20T00:00:00.000Z',
    });
    expect(tokenMatches(token, stored)).toBe(true);
    expect(tokenMatches(`${token}x`, stored)).toBe(false);
  });

  it('authenticates by scope; admin implies every scope; revoked tokens fail', async () => {
    const store = memoryStore();
    const ingest = (await createToken(store, { name: 'agent', scopes: ['ingest'], now: new Date() })).token;
    const admin = (await createToken(store, { name: 'root', scopes: ['admin'], now: new Date() })).token;
    expect(await authenticate(store, undefined, 'read')).toEqual({ ok: false, reason: 'missing' });
    expect(await authenticate(store, generateTokenSecret(), 'read')).toEqual({ ok: false, reason: 'unknown' });
    expect(await authenticate(store, ingest, 'read')).toEqual({ ok: false, reason: 'scope' });
    expect((await authenticate(store, ingest, 'ingest')).ok).toBe(true);
    expect((await authenticate(store, admin, 'read')).ok).toBe(true);
    await store.revokeToken(keyIdOf(ingest), '2026-11-21T00:00:00Z');
    expect(await authenticate(store, ingest, 'ingest')).toEqual({ ok: false, reason: 'revoked' });
    expect(grants({ scopes: ['read'] }, 'admin')).toBe(false);
  });
});
