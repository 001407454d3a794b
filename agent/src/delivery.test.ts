import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { EncodedBatch } from './batch.js';
import { backoffDelay, Outbox } from './delivery.js';
import type { PostOutcome } from './ingest-client.js';
import { createLogger } from './log.js';
import { Spool } from './spool.js';
import { newStats } from './stats.js';

const log = createLogger({ write: () => {} });

function batch(seq: number): EncodedBatch {
  const batchId = `h-1-${seq}`;
  return { batchId, body: gzipSync(JSON.stringify({ batchId })), samples: 8, firstSampleMs: 1, seq };
}

function memorySpool(maxBatches = 100): Spool {
  // A path under a file cannot be created: the spool runs in memory.
  return Spool.open('/dev/null/spool', { maxBytes: 1 << 20, maxBatches }, log);
}

function idOf(body: Buffer): string {
  return (JSON.parse(gunzipSync(body).toString()) as { batchId: string }).batchId;
}

describe('backoffDelay', () => {
  it('grows exponentially within [exp/2, exp], is capped, and respects Retry-After', () => {
    const o = { initialMs: 1000, maxMs: 60_000 };
    expect(backoffDelay(0, { ...o, random: () => 0 })).toBe(500);
    expect(backoffDelay(0, { ...o, random: () => 1 })).toBe(1000);
    expect(backoffDelay(3, { ...o, random: () => 0.5 })).toBe(6000);
    expect(backoffDelay(20, { ...o, random: () => 1 })).toBe(60_000);
    expect(backoffDelay(0, { ...o, random: () => 0 }, 5000)).toBe(5000);
    expect(backoffDelay(0, { ...o, random: () => 0 }, 10 * 60_000)).toBe(60_000);
  });
});

describe('Outbox', () => {
  it('sends directly while healthy; on failure spools, then replays in order with the same bodies', async () => {
    const sent: string[] = [];
    let up = true;
    const post = async (body: Buffer): Promise<PostOutcome> => {
      sent.push(idOf(body));
      return up ? { kind: 'accepted', status: 202 } : { kind: 'retry', status: 503, message: 'down' };
    };
    const stats = newStats();
    const spool = memorySpool();
    const outbox = new Outbox(spool, post, { initialMs: 10, maxMs: 20 }, log, stats);
    expect(await outbox.submit([batch(1)])).toBe(true);
    up = false;
    expect(await outbox.submit([batch(2), batch(3)])).toBe(false);
    expect(spool.batchCount).toBe(2);
    // While backing off, new batches queue behind the spool without a send.
    expect(await outbox.submit([batch(4)])).toBe(false);
    up = true;
    await new Promise((r) => setTimeout(r, 80));
    await outbox.drain();
    await outbox.close();
    expect(spool.batchCount).toBe(0);
    expect(sent).toEqual(['h-1-1', 'h-1-2', 'h-1-2', 'h-1-3', 'h-1-4']);
    expect(stats).toMatchObject({ batchesSent: 4, samplesSent: 32, sendFailures: 1, batchesSpooled: 3 });
  });

  it('drops a permanently rejected batch, counts it, and goes on with the next', async () => {
    const sent: string[] = [];
    const post = async (body: Buffer): Promise<PostOutcome> => {
      const id = idOf(body);
      sent.push(id);
      return id === 'h-1-1' ? { kind: 'rejected', status: 400, message: 'bad' } : { kind: 'accepted', status: 202 };
    };
    const stats = newStats();
    const outbox = new Outbox(memorySpool(), post, { initialMs: 10, maxMs: 20 }, log, stats);
    expect(await outbox.submit([batch(1), batch(2)])).toBe(true);
    await outbox.close();
    expect(sent).toEqual(['h-1-1', 'h-1-2']);
    expect(stats).toMatchObject({ batchesRejected: 1, samplesRejected: 8, batchesSent: 1 });
  });

  it('counts batches dropped from a full spool', async () => {
    const post = async (): Promise<PostOutcome> => ({ kind: 'retry', message: 'ECONNREFUSED' });
    const stats = newStats();
    const spool = memorySpool(2);
    const outbox = new Outbox(spool, post, { initialMs: 60_000, maxMs: 60_000 }, log, stats);
    await outbox.submit([batch(1), batch(2), batch(3), batch(4)]);
    await outbox.close();
    expect(spool.batchCount).toBe(2);
    expect(spool.peek()!.batchId).toBe('h-1-3');
    expect(stats).toMatchObject({ batchesDroppedSpoolFull: 2, samplesDroppedSpoolFull: 16 });
  });
});
