import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeDigestFiles } from '../../shared/adapters/digest-files.js';
import type { DynamoDigestStore } from '../../shared/adapters/dynamo/digest-store.js';
import { digestModel, unitEconomicsRow } from '../support/digest.js';
import { notificationStores } from './stores.js';

let digests: DynamoDigestStore;
beforeAll(async () => {
  ({ digests } = await notificationStores());
});

describe('digest store (pk DIGEST, sk <date>)', () => {
  it('returns the digest stored for a day, and nothing for a day without one', async () => {
    const model = digestModel();
    await digests.putDigest(model);
    expect(await digests.getDigest('2026-11-20')).toEqual(model);
    expect(await digests.getDigest('2026-11-19')).toBeUndefined();
  });

  it('replaces a day when its digest is built again', async () => {
    await digests.putDigest(digestModel({ date: '2026-11-21', generatedAt: '2026-11-22T06:00:00.000Z' }));
    await digests.putDigest(
      digestModel({
        date: '2026-11-21',
        generatedAt: '2026-11-22T07:00:00.000Z',
        totals: { current: '1', previous: '1', changePercent: 0 },
      }),
    );
    const stored = await digests.getDigest('2026-11-21');
    expect(stored?.generatedAt).toBe('2026-11-22T07:00:00.000Z');
    expect(stored?.totals.current).toBe('1');
  });

  it('keeps a digest whose JSON is larger than a DynamoDB item may be', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) =>
      unitEconomicsRow({ scopeKind: 'host', scope: `i-${String(i).padStart(17, '0')}`, cost: `${i}.25` }),
    );
    const big = digestModel({ date: '2026-11-22', unitEconomics: rows });
    expect(JSON.stringify(big).length).toBeGreaterThan(400 * 1024);
    await digests.putDigest(big);
    const stored = await digests.getDigest('2026-11-22');
    expect(stored?.unitEconomics).toHaveLength(2000);
    expect(stored?.unitEconomics[1999]?.cost).toBe('1999.25');
  });

  it('refuses a digest whose date is not a day', async () => {
    await expect(digests.putDigest(digestModel({ date: 'yesterday' }))).rejects.toThrow(
      'digest date must be a yyyy-mm-dd day, got yesterday',
    );
  });
});

describe('writeDigestFiles', () => {
  it('writes <date>.html showing <date>.png beside it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digests-'));
    try {
      const paths = await writeDigestFiles(join(dir, 'digests'), digestModel());
      expect(paths).toEqual({ htmlPath: join(dir, 'digests', '2026-11-20.html'), pngPath: join(dir, 'digests', '2026-11-20.png') });
      const html = await readFile(paths.htmlPath, 'utf8');
      expect(html).toContain('<img src="2026-11-20.png"');
      expect(html).not.toContain('cid:');
      expect(html).toContain('$12,345.67');
      const png = pngjs.PNG.sync.read(await readFile(paths.pngPath));
      expect([png.width, png.height]).toEqual([720, 300]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
