import { describe, expect, it } from 'vitest';
import {
  handlerPermissions,
  MissingPermissionsError,
  permissionProfiles,
  permissionsFor,
  type TableGrant,
} from '../../shared/permissions.js';
import { httpRoutes } from '../../shared/routes.js';

const allGrants: Array<[string, TableGrant]> = Object.entries(permissionProfiles).flatMap(([profile, grants]) =>
  (grants as readonly TableGrant[]).map((grant) => [profile, grant] as [string, TableGrant]),
);

describe('IAM permissions (shared/permissions.ts)', () => {
  it('gives every HTTP route a permission entry', () => {
    const missing = httpRoutes.filter((route) => !(route.handler in handlerPermissions)).map((route) => route.handler);
    expect(missing).toEqual([]);
    for (const route of httpRoutes) expect(() => permissionsFor(route.handler)).not.toThrow();
  });

  it('refuses a handler without an entry', () => {
    expect(() => permissionsFor('functions/http/not-a-route.handler')).toThrow(MissingPermissionsError);
  });

  it('maps every handler to a profile that exists', () => {
    for (const [handler, profile] of Object.entries(handlerPermissions)) {
      expect(Object.keys(permissionProfiles), handler).toContain(profile);
    }
  });

  it('keeps no HTTP entry for a route that no longer exists', () => {
    const routed = new Set(httpRoutes.map((route) => route.handler));
    const stale = Object.keys(handlerPermissions).filter((handler) => handler.startsWith('functions/http/') && !routed.has(handler));
    expect(stale).toEqual([]);
  });

  it('grants no wildcard action and names only DynamoDB actions', () => {
    for (const [profile, grant] of allGrants) {
      expect(grant.actions.length, profile).toBeGreaterThan(0);
      for (const action of grant.actions) {
        expect(action, profile).not.toContain('*');
        expect(action, profile).toMatch(/^dynamodb:[A-Z][A-Za-z]+$/);
      }
      expect(new Set(grant.actions).size, `${profile}: duplicate actions`).toBe(grant.actions.length);
    }
  });

  it('grants nothing on the * resource, only the table and its indexes', () => {
    for (const [profile, grant] of allGrants) {
      expect(grant.resources.length, profile).toBeGreaterThan(0);
      for (const resource of grant.resources) {
        expect(resource, profile).not.toContain('*');
        expect(['table', 'tableIndexes'], profile).toContain(resource);
      }
    }
  });

  it('lets ingest read and write items, but not query, delete or touch the indexes', () => {
    const ingest = permissionsFor('functions/http/ingest-measurements.handler');
    const actions = ingest.flatMap((grant) => grant.actions);
    expect([...actions].sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(ingest.flatMap((grant) => grant.resources)).toEqual(['table']);
  });

  it('lets readers query the table and its indexes, and write nothing', () => {
    const reader = permissionsFor('functions/http/fleet-utilization.handler');
    expect([...reader.flatMap((grant) => grant.actions)].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect([...reader.flatMap((grant) => grant.resources)].sort()).toEqual(['table', 'tableIndexes']);
  });

  it('gives unauthenticated routes no write access', () => {
    const writes = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;
    for (const route of httpRoutes.filter((r) => r.scope === null)) {
      const actions = permissionsFor(route.handler).flatMap((grant) => grant.actions);
      expect(
        actions.filter((action) => writes.test(action)),
        route.handler,
      ).toEqual([]);
    }
  });
});
