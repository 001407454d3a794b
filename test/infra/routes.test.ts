import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { handlerFile, httpRoutes, routeKey, routes } from '../../shared/routes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `export const handler`, `export async function handler`, `export { x as handler }`, `export { handler }`. */
function exportsNamed(source: string, name: string): boolean {
  const declared = new RegExp(`export\\s+(?:const|let|var|(?:async\\s+)?function\\*?)\\s+${name}\\b`);
  const listed = new RegExp(`export\\s*\\{[^}]*\\b(?:as\\s+)?${name}\\b\\s*(?:,[^}]*)?\\}`);
  return declared.test(source) || listed.test(source);
}

describe('exportsNamed', () => {
  it('recognizes the usual export forms and rejects others', () => {
    expect(exportsNamed('export const handler = wrap(fn);', 'handler')).toBe(true);
    expect(exportsNamed('export async function handler(event) {}', 'handler')).toBe(true);
    expect(exportsNamed('const main = 1;\nexport { main as handler };', 'handler')).toBe(true);
    expect(exportsNamed('export { handler, other };', 'handler')).toBe(true);
    expect(exportsNamed('const handler = 1;', 'handler')).toBe(false);
    expect(exportsNamed('export const handlerFactory = 1;', 'handler')).toBe(false);
    expect(exportsNamed('export default handler;', 'handler')).toBe(false);
  });
});

describe('HTTP route table (shared/routes.ts)', () => {
  it('has routes', () => {
    expect(httpRoutes.length).toBeGreaterThanOrEqual(4);
  });

  it.each(httpRoutes.map((route) => [routeKey(route), route] as const))(
    '%s points at a functions/ file that exports its handler',
    (_key, route) => {
      const { file, exportName } = handlerFile(route);
      expect(normalize(file).startsWith('functions/'), `${file} is not under functions/`).toBe(true);
      const path = join(root, file);
      expect(existsSync(path), `${file} does not exist`).toBe(true);
      expect(exportsNamed(readFileSync(path, 'utf8'), exportName), `${file} does not export '${exportName}'`).toBe(true);
    },
  );

  it('has no duplicate route keys', () => {
    const keys = httpRoutes.map(routeKey);
    const duplicates = keys.filter((key, index) => keys.indexOf(key) !== index);
    expect(duplicates).toEqual([]);
  });

  it('versions every path under /v1/', () => {
    const unversioned = httpRoutes.filter((route) => !route.path.startsWith('/v1/')).map(routeKey);
    expect(unversioned).toEqual([]);
  });

  it('uses route keys API Gateway accepts (METHOD /path, no spaces or trailing slash)', () => {
    for (const route of httpRoutes) {
      expect(routeKey(route)).toMatch(/^(GET|POST|PUT|PATCH|DELETE) \/[A-Za-z0-9._~\-/{}+]*[^/]$/);
    }
  });

  it.each(Object.entries(routes))('routes.%s is the definition its handler file passes to httpHandler', (name, route) => {
    const source = readFileSync(join(root, handlerFile(route).file), 'utf8');
    expect(source).toMatch(new RegExp(`httpHandler\\(routes\\.${name}\\b`));
  });

  it('gives every route its request schemas and at least one response', () => {
    for (const route of httpRoutes) {
      expect(route.request, routeKey(route)).toBeTypeOf('object');
      expect(Object.keys(route.responses).length, routeKey(route)).toBeGreaterThan(0);
      if (route.parseBody) expect(route.request.body, `${routeKey(route)} parses a body it does not document`).toBeDefined();
    }
  });
});
