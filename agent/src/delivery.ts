/**
 * Delivery: sends batches in order, one at a time. A batch that cannot be delivered now goes to the spool, and the spool
 * is replayed oldest first, each batch with its original body and batchId, after an exponential backoff with jitter.
 * While the spool holds anything, new batches queue behind it, so the server sees batches in collection order.
 */
import type { EncodedBatch } from './batch.js';
import type { PostOutcome } from './ingest-client.js';
import type { Logger } from './log.js';
import type { Spool } from './spool.js';
import type { AgentStats } from './stats.js';

export type PostFn = (body: Buffer, signal?: AbortSignal) => Promise<PostOutcome>;

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random?: () => number;
}

/** Delay before retry number `attempt` (0-based): half of the capped exponential, plus up to the other half at random. */
export function backoffDelay(attempt: number, options: BackoffOptions, retryAfterMs?: number): number {
  const random = options.random ?? Math.random;
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  const jittered = exp / 2 + random() * (exp / 2);
  const floor = retryAfterMs !== undefined ? Math.min(retryAfterMs, options.maxMs) : 0;
  return Math.round(Math.max(jittered, floor));
}

export type SendResult = 'accepted' | 'rejected' | 'retry';

export class Outbox {
  private chain: Promise<unknown> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private failures = 0;
  private closed = false;
  private readonly shutdown = new AbortController();

  constructor(
    private readonly spool: Spool,
    private readonly post: PostFn,
    private readonly backoff: BackoffOptions,
    private readonly log: Logger,
    private readonly stats: AgentStats,
  ) {}

  /** True while a retry is scheduled (the endpoint failed and the backoff has not elapsed). */
  get backingOff(): boolean {
    return this.retryTimer !== undefined;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async sendOne(batchId: string, samples: number, body: Buffer): Promise<SendResult> {
    const outcome = await this.post(body, this.shutdown.signal);
    switch (outcome.kind) {
      case 'accepted': {
        this.stats.batchesSent += 1;
        this.stats.samplesSent += samples;
        if (outcome.result?.duplicate) this.stats.batchesDuplicate += 1;
        this.log.info('batch delivered', {
          batchId,
          samples,
          status: outcome.status,
          accepted: outcome.result?.accepted,
          duplicate: outcome.result?.duplicate,
          rejectedFields: outcome.result?.rejectedFields,
        });
        if (outcome.result?.rejectedFields) this.stats.fieldsRejected += outcome.result.rejectedFields;
        this.failures = 0;
        return 'accepted';
      }
      case 'rejected':
        this.stats.batchesRejected += 1;
        this.stats.samplesRejected += samples;
        this.log.error('batch rejected by the server, dropped', { batchId, samples, status: outcome.status, reason: outcome.message });
        // A rejection is an answer: the endpoint is up, keep going.
        this.failures = 0;
        return 'rejected';
      case 'retry': {
        this.stats.sendFailures += 1;
        const delayMs = backoffDelay(this.failures, this.backoff, outcome.retryAfterMs);
        this.failures += 1;
        this.log.warn('batch delivery failed, will retry', {
          batchId,
          samples,
          status: outcome.status,
          reason: outcome.message,
          retryInMs: delayMs,
          consecutiveFailures: this.failures,
        });
        this.scheduleRetry(delayMs);
        return 'retry';
      }
    }
  }

  private scheduleRetry(delayMs: number): void {
    if (this.closed) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryAt = Date.now() + delayMs;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, delayMs);
  }

  private toSpool(batch: EncodedBatch): void {
    const dropped = this.spool.append(batch);
    this.stats.batchesSpooled += 1;
    if (dropped.batches > 0) {
      this.stats.batchesDroppedSpoolFull += dropped.batches;
      this.stats.samplesDroppedSpoolFull += dropped.samples;
      this.log.warn('spool full, dropped oldest batches', {
        droppedBatches: dropped.batches,
        droppedSamples: dropped.samples,
        totalDroppedBatches: this.stats.batchesDroppedSpoolFull,
        totalDroppedSamples: this.stats.samplesDroppedSpoolFull,
      });
    }
    this.log.debug('batch spooled', { batchId: batch.batchId, spooledBatches: this.spool.batchCount, spooledBytes: this.spool.byteCount });
  }

  /** Replay the spool oldest first until it is empty or a send fails. `ignoreBackoff`: try now anyway (final flush, --once). */
  private async drainLocked(ignoreBackoff = false): Promise<boolean> {
    if (this.backingOff && !ignoreBackoff) return false;
    for (;;) {
      if (this.shutdown.signal.aborted) return false;
      const next = this.spool.peek();
      if (!next) return true;
      const result = await this.sendOne(next.batchId, next.entry.samples, next.body);
      if (result === 'retry') return false;
      this.spool.remove(next.entry);
    }
  }

  /** Send new batches (after anything spooled); what cannot be sent now is spooled. Resolves true when all were delivered or rejected. */
  submit(batches: EncodedBatch[], options: { ignoreBackoff?: boolean } = {}): Promise<boolean> {
    return this.serialize(async () => {
      let clear = this.spool.isEmpty && (!this.backingOff || options.ignoreBackoff === true);
      if (!clear && !this.spool.isEmpty) clear = await this.drainLocked(options.ignoreBackoff);
      for (const batch of batches) {
        if (clear && !this.shutdown.signal.aborted) {
          const result = await this.sendOne(batch.batchId, batch.samples, batch.body);
          if (result !== 'retry') continue;
          clear = false;
        }
        this.toSpool(batch);
      }
      return clear;
    });
  }

  /** Replay the spool now (called by the retry timer). */
  drain(options: { ignoreBackoff?: boolean } = {}): Promise<boolean> {
    return this.serialize(() => this.drainLocked(options.ignoreBackoff));
  }

  /** Abort the send in progress (its batch stays spooled or is spooled); used when the shutdown deadline passes. */
  abortInFlight(): void {
    this.shutdown.abort();
  }

  /** Stop scheduling retries; waits for the send in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.chain;
  }

  /** Milliseconds until the next scheduled retry, for status logs. */
  get retryInMs(): number | undefined {
    return this.retryTimer ? Math.max(0, this.retryAt - Date.now()) : undefined;
  }
}
