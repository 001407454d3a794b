import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const handlerFiles = ['http', 'cron', 'workflow', 'subscribers'].flatMap((folder) =>
  readdirSync(join(root, 'functions', folder))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => `functions/${folder}/${name}`),
);
const source = (file: string) => readFileSync(join(root, file), 'utf8');

describe('Lambda entry points (functions/)', () => {
  it('are found', () => {
    expect(handlerFiles.length).toBeGreaterThan(40);
  });

  it.each(handlerFiles)('%s stays thin (under 30 lines)', (file) => {
    expect(source(file).trimEnd().split('\n').length).toBeLessThan(30);
  });

  it.each(handlerFiles)('%s reaches AWS only through shared/adapters', (file) => {
    expect(source(file)).not.toMatch(/from '@aws-sdk\//);
  });

  it.each(handlerFiles)('%s leaves building the adapters at cold start to its middleware', (file) => {
    expect(source(file)).not.toMatch(/^ledgerDependencies\(\);/m);
  });

  it.each(handlerFiles.filter((file) => /\/cron\/collect-/.test(file)))('%s is a collectorHandler of the target its name says', (file) => {
    const target = /collect-([a-z-]+)\.ts$/.exec(file)![1]!;
    expect(source(file)).toMatch(new RegExp(`export const handler = collectorHandler\\('${target}'\\);`));
  });
});
