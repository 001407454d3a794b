import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * API tokens. The secret is shown once; only its SHA-256 is stored. A token is found by a key id derived
 * from its hash and then compared in constant time against the stored hash.
 */
/** What a bearer token may do: post data, read, or administer (admin implies the others). */
export const scopes = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof scopes)[number];
export const scopeSchema = z.enum(scopes);

export interface StoredToken {
  keyId: string;
  name: string;
  scopes: Scope[];
  hash: string;
  createdAt: string;
  revokedAt?: string | undefined;
}

export interface TokenStore {
  getToken(keyId: string): Promise<StoredToken | null>;
  putToken(token: StoredToken): Promise<void>;
  listTokens(): Promise<StoredToken[]>;
  revokeToken(keyId: string, at: string): Promise<boolean>;
}

export const TOKEN_PREFIX = 'cl_';

export function generateTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function keyIdOf(token: string): string {
  return hashToken(token).slice(0, 16);
}

export function tokenMatches(token: string, stored: Pick<StoredToken, 'hash'>): boolean {
  const presented = Buffer.from(hashToken(token), 'hex');
  const expected = Buffer.from(stored.hash, 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** An admin's "admin" scope implies the others. */
export function grants(token: Pick<StoredToken, 'scopes'>, needed: Scope): boolean {
  return token.scopes.includes(needed) || token.scopes.includes('admin');
}

export async function createToken(
  store: TokenStore,
  input: { name: string; scopes: Scope[]; secret?: string; now: Date },
): Promise<{ token: string; stored: StoredToken }> {
  const token = input.secret ?? generateTokenSecret();
  const stored: StoredToken = {
    keyId: keyIdOf(token),
    name: input.name,
    scopes: [...new Set(input.scopes)],
    hash: hashToken(token),
    createdAt: input.now.toISOString(),
  };
  await store.putToken(stored);
  return { token, stored };
}

export type Authentication = { ok: true; token: StoredToken } | { ok: false; reason: 'missing' | 'unknown' | 'revoked' | 'scope' };

export async function authenticate(
  store: Pick<TokenStore, 'getToken'>,
  bearer: string | undefined,
  needed: Scope,
): Promise<Authentication> {
  if (!bearer) return { ok: false, reason: 'missing' };
  const stored = await store.getToken(keyIdOf(bearer));
  if (!stored || !tokenMatches(bearer, stored)) return { ok: false, reason: 'unknown' };
  if (stored.revokedAt) return { ok: false, reason: 'revoked' };
  if (!grants(stored, needed)) return { ok: false, reason: 'scope' };
  return { ok: true, token: stored };
}
