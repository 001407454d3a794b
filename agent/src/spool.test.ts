import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { EncodedBatch } from './batch.js';
import { createLogger } from './log.js';
import { Spool } from './spool.js';

const log = createLogger({ write: () => {} });
const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-test-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function batch(seq: number, samples = 8, padding = 0): EncodedBatch {
  const batchId = `h-1000-${seq}`;
  const body = gzipSync(JSON.stringify({ batchId, host: { hostId: 'h' }, samples: [], pad: 'x'.repeat(padding) }));
  return { batchId, body, samples, firstSampleMs: 1000, seq };
}

describe('Spool', () => {
  it('keeps batches in order on disk and survives a restart', () => {
    const dir = tempDir();
    const spool = Spool.open(dir, { maxBytes: 1 << 20, maxBatches: 10 }, log);
    for (let i = 0; i < 3; i++) spool.append(batch(spool.nextSeq()));
    expect(fs.readdirSync(dir).sort()).toEqual(['000000000001-8.json.gz', '000000000002-8.json.gz', '000000000003-8.json.gz']);
    const reopened = Spool.open(dir, { maxBytes: 1 << 20, maxBatches: 10 }, log);
    expect(reopened.batchCount).toBe(3);
    expect(reopened.nextSeq()).toBe(4);
    const first = reopened.peek()!;
    expect(first.batchId).toBe('h-1000-1');
    reopened.remove(first.entry);
    expect(reopened.peek()!.batchId).toBe('h-1000-2');
    expect(fs.readdirSync(dir)).toHaveLength(2);
  });

  it('drops the oldest batches when the count bound is reached and reports what it dropped', () => {
    const spool = Spool.open(tempDir(), { maxBytes: 1 << 20, maxBatches: 3 }, log);
    const dropped = [];
    for (let i = 1; i <= 5; i++) dropped.push(spool.append(batch(i, 10 * i)));
    expect(dropped.map((d) => d.batches)).toEqual([0, 0, 0, 1, 1]);
    expect(dropped.map((d) => d.samples)).toEqual([0, 0, 0, 10, 20]);
    expect(spool.batchCount).toBe(3);
    expect(spool.peek()!.batchId).toBe('h-1000-3');
  });

  it('drops the oldest batches when the byte bound is reached; a batch larger than the bound is itself dropped', () => {
    const one = batch(1, 8, 0).body.length;
    const spool = Spool.open(tempDir(), { maxBytes: one * 2 + 1, maxBatches: 100 }, log);
    spool.append(batch(1));
    spool.append(batch(2));
    expect(spool.append(batch(3))).toEqual({ batches: 1, samples: 8 });
    expect(spool.byteCount).toBeLessThanOrEqual(one * 2 + 1);
    expect(spool.peek()!.batchId).toBe('h-1000-2');
    const huge = batch(4, 5, 100_000);
    huge.body = Buffer.concat([huge.body, Buffer.alloc(one * 3)]);
    expect(spool.append(huge)).toEqual({ batches: 1, samples: 5 });
    expect(spool.batchCount).toBe(2);
  });

  it('falls back to memory when the directory cannot be used', () => {
    const file = path.join(tempDir(), 'not-a-dir');
    fs.writeFileSync(file, '');
    const spool = Spool.open(path.join(file, 'spool'), { maxBytes: 1 << 20, maxBatches: 2 }, log);
    expect(spool.directory).toBeUndefined();
    spool.append(batch(1));
    spool.append(batch(2));
    spool.append(batch(3));
    expect(spool.batchCount).toBe(2);
    expect(spool.peek()!.batchId).toBe('h-1000-2');
  });

  it('drops unreadable files and removes leftovers of interrupted writes', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, '000000000001-8.json.gz'), 'not gzip');
    fs.writeFileSync(path.join(dir, '000000000002-8.json.gz.tmp'), 'partial');
    fs.writeFileSync(path.join(dir, '000000000003-8.json.gz'), batch(3).body);
    const spool = Spool.open(dir, { maxBytes: 1 << 20, maxBatches: 10 }, log);
    expect(spool.peek()!.batchId).toBe('h-1000-3');
    expect(fs.readdirSync(dir)).toEqual(['000000000003-8.json.gz']);
  });
});
