/**
 * Spool of batches not yet delivered, oldest first, bounded by bytes and by count: when full, the OLDEST batches are
 * dropped first (and counted). Each batch is one file `<seq>-<samples>.json.gz` holding the exact gzip body that was
 * (or will be) POSTed, so a replay sends the same bytes and the same batchId. Writes go to a temporary name and are
 * renamed into place. When the directory cannot be used the spool keeps batches in memory under the same bounds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { EncodedBatch } from './batch.js';
import { errorFields, type Logger } from './log.js';

export interface SpoolLimits {
  maxBytes: number;
  maxBatches: number;
}

export interface SpoolEntry {
  seq: number;
  samples: number;
  bytes: number;
  file?: string;
  body?: Buffer;
}

export interface DroppedBatches {
  batches: number;
  samples: number;
}

const FILE = /^(\d{12})-(\d+)\.json\.gz$/;

export class Spool {
  private readonly entries: SpoolEntry[] = [];
  private bytes = 0;
  private seq = 0;
  private constructor(
    private dir: string | undefined,
    private readonly limits: SpoolLimits,
    private readonly log: Logger,
  ) {}

  /** Open (creating) the spool directory and pick up batches left by an earlier run. */
  static open(dir: string, limits: SpoolLimits, log: Logger): Spool {
    const spool = new Spool(dir, limits, log);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const name of fs.readdirSync(dir).sort()) {
        const full = path.join(dir, name);
        if (name.endsWith('.tmp')) {
          fs.rmSync(full, { force: true });
          continue;
        }
        const m = FILE.exec(name);
        if (!m) continue;
        const bytes = fs.statSync(full).size;
        spool.entries.push({ seq: Number(m[1]), samples: Number(m[2]), bytes, file: full });
        spool.bytes += bytes;
        spool.seq = Math.max(spool.seq, Number(m[1]));
      }
      // Probe that the directory is writable now rather than at the first failure.
      const probe = path.join(dir, `.probe-${process.pid}.tmp`);
      fs.writeFileSync(probe, '');
      fs.rmSync(probe, { force: true });
    } catch (err) {
      log.warn('spool directory unusable, spooling in memory only', { spoolDir: dir, ...errorFields(err) });
      spool.dir = undefined;
    }
    if (spool.entries.length > 0) {
      log.info('spool holds batches from an earlier run', { batches: spool.entries.length, bytes: spool.bytes });
    }
    const dropped = spool.enforce(0);
    if (dropped.batches > 0) log.warn('spool over its bounds at start, dropped oldest batches', { ...dropped });
    return spool;
  }

  /** Sequence numbers for batchIds and spool order; they continue after the batches found on disk. */
  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  get batchCount(): number {
    return this.entries.length;
  }

  get byteCount(): number {
    return this.bytes;
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  get directory(): string | undefined {
    return this.dir;
  }

  /** Drop oldest entries until `incoming` more bytes and one more batch fit. */
  private enforce(incoming: number): DroppedBatches {
    const dropped: DroppedBatches = { batches: 0, samples: 0 };
    const extraBatch = incoming > 0 ? 1 : 0;
    while (
      this.entries.length > 0 &&
      (this.entries.length + extraBatch > this.limits.maxBatches || this.bytes + incoming > this.limits.maxBytes)
    ) {
      const oldest = this.entries.shift()!;
      this.bytes -= oldest.bytes;
      this.deleteFile(oldest);
      dropped.batches += 1;
      dropped.samples += oldest.samples;
    }
    return dropped;
  }

  /** Add a batch at the tail. Returns what had to be dropped to make room (possibly this batch itself). */
  append(batch: EncodedBatch): DroppedBatches {
    const seq = batch.seq;
    const size = batch.body.length;
    if (size > this.limits.maxBytes) return { batches: 1, samples: batch.samples };
    const dropped = this.enforce(size);
    const entry: SpoolEntry = { seq, samples: batch.samples, bytes: size };
    if (this.dir) {
      const file = path.join(this.dir, `${String(seq).padStart(12, '0')}-${batch.samples}.json.gz`);
      try {
        fs.writeFileSync(`${file}.tmp`, batch.body, { mode: 0o600 });
        fs.renameSync(`${file}.tmp`, file);
        entry.file = file;
      } catch (err) {
        this.log.error('cannot write spool file, keeping the batch in memory', { batchId: batch.batchId, ...errorFields(err) });
        entry.body = batch.body;
      }
    } else {
      entry.body = batch.body;
    }
    this.entries.push(entry);
    this.bytes += size;
    return dropped;
  }

  /** The oldest batch with its body, or undefined when empty. A batch whose file vanished or is unreadable is dropped. */
  peek(): { entry: SpoolEntry; body: Buffer; batchId: string } | undefined {
    while (this.entries.length > 0) {
      const entry = this.entries[0]!;
      try {
        const body = entry.body ?? fs.readFileSync(entry.file!);
        const batchId = (JSON.parse(gunzipSync(body).toString('utf8')) as { batchId?: unknown }).batchId;
        if (typeof batchId !== 'string') throw new Error('spooled batch has no batchId');
        return { entry, body, batchId };
      } catch (err) {
        this.log.error('unreadable spooled batch dropped', { seq: entry.seq, ...errorFields(err) });
        this.remove(entry);
      }
    }
    return undefined;
  }

  remove(entry: SpoolEntry): void {
    const i = this.entries.indexOf(entry);
    if (i === -1) return;
    this.entries.splice(i, 1);
    this.bytes -= entry.bytes;
    this.deleteFile(entry);
  }

  private deleteFile(entry: SpoolEntry): void {
    if (!entry.file) return;
    try {
      fs.rmSync(entry.file, { force: true });
    } catch (err) {
      this.log.warn('cannot delete spool file', { file: entry.file, ...errorFields(err) });
    }
  }
}
