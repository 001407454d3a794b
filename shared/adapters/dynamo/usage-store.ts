import { GetCommand, PutCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../../concurrency.js';
import { formatDecimal, parseDecimal, type Decimal } from '../../domain/core/money.js';
import type { ClaimOutcome, RollupWrite, UsageBatchRecord, UsageStore } from '../../domain/usage/usage-ingest.js';
import type { ModelPrice } from '../../domain/usage/usage-pricing.js';
import { dimensionsKey, mergeTotalsInto, type PricedUsageEvent, type UsageMinute } from '../../domain/usage/usage-rollup.js';
import { decodeSketch, encodeSketch } from '../../domain/usage/usage-sketch.js';
import { applyOnce, knownItem, readItems } from './apply-once.js';
import { isConditionalCheckFailure } from './client.js';
import { queryAll } from './query.js';
import { ledgerKeys } from './table.js';
import { DAY_MS } from '../../domain/core/utc-time.js';

/**
 * DynamoDB access for LLM usage (keys listed in `table.ts`):
 * - `usageEvent`: the per-event idempotency record, claimed once with `attribute_not_exists(pk)`; it keeps the
 *   event as priced at ingest (tokens, exact cost) until its TTL;
 * - `usageMinute`: a minute rollup of one (workflow, agent, model, team), with a version and the set of owners
 *   (batches) already applied;
 * - `usageBatch`: the outcome of a completed batch, so a replay is answered at once;
 * - `modelPrice`: prices set through the API.
 */
/** Idempotency records outlive the 7-day ingest window: a replay older than that is refused by the window rule. */
const IDEMPOTENCY_TTL_MS = 8 * DAY_MS;
const CLAIM_CONCURRENCY = 32;
const ROLLUP_CONCURRENCY = 8;

const usageClaimKey = ledgerKeys.usageEvent.key;
const usageRollupKey = ledgerKeys.usageMinute.key;
const batchKey = ledgerKeys.usageBatch.key;

type Item = Record<string, unknown>;

function rollupToItem(
  rollup: UsageMinute,
  key: { pk: string; sk: string },
  version: number,
  owners: Set<string>,
  retentionDays: number,
): Item {
  const t = rollup.totals;
  return {
    ...key,
    m: rollup.minute,
    model: rollup.dims.model,
    workflow: rollup.dims.workflow,
    agent: rollup.dims.agent,
    team: rollup.dims.team,
    v: version,
    b: owners,
    n: t.requests,
    it: t.inputTokens,
    ot: t.outputTokens,
    crt: t.cacheReadTokens,
    cct: t.cacheCreationTokens,
    rt: t.reasoningTokens,
    c: t.cost.toString(),
    up: t.unpricedRequests,
    uit: t.unpricedInputTokens,
    uot: t.unpricedOutputTokens,
    ret: t.retries,
    rtd: t.retriedRequests,
    err: t.errors,
    ls: encodeSketch(t.latency),
    expiresAt: Math.floor((rollup.minute + retentionDays * DAY_MS) / 1000),
  };
}

export function rollupFromItem(item: Item): UsageMinute {
  const latency = decodeSketch(item.ls as string | undefined);
  return {
    minute: item.m as number,
    dims: {
      model: item.model as string,
      workflow: item.workflow as string | undefined,
      agent: item.agent as string | undefined,
      team: item.team as string | undefined,
    },
    totals: {
      requests: item.n as number,
      inputTokens: item.it as number,
      outputTokens: item.ot as number,
      cacheReadTokens: item.crt as number,
      cacheCreationTokens: item.cct as number,
      reasoningTokens: item.rt as number,
      cost: BigInt(item.c as string),
      unpricedRequests: item.up as number,
      unpricedInputTokens: item.uit as number,
      unpricedOutputTokens: item.uot as number,
      retries: item.ret as number,
      retriedRequests: item.rtd as number,
      errors: item.err as number,
      latency,
    },
  };
}

/** The per-event record: the event as priced at ingest. Cost in USD as an exact decimal string. */
function claimItem(owner: string, event: PricedUsageEvent, now: number): Item {
  const t = event.tokens;
  return {
    ...usageClaimKey(event.requestId),
    owner,
    time: new Date(event.time).toISOString(),
    model: event.model,
    requestModel: event.requestModel,
    responseModel: event.responseModel,
    pricedAs: event.pricedAs ?? undefined,
    cost: event.cost === null ? undefined : formatDecimal(event.cost),
    unpriced: event.cost === null,
    provider: event.provider,
    operation: event.operation,
    workflow: event.workflow,
    agent: event.agent,
    team: event.team,
    conversationId: event.conversationId,
    errorType: event.errorType,
    error: event.error,
    retries: event.retries,
    durationMs: event.durationMs,
    inputTokens: t.input,
    outputTokens: t.output,
    cacheReadTokens: t.cacheRead,
    cacheCreationTokens: t.cacheCreation,
    reasoningTokens: t.reasoning,
    ingestedAt: new Date(now).toISOString(),
    expiresAt: Math.floor((Math.max(event.time, now) + IDEMPOTENCY_TTL_MS) / 1000),
  };
}

/** A claim as read back: from a condition failure (raw attribute values) or a plain read. */
function claimOutcome(owner: string, stored: { owner?: unknown; cost?: unknown; pricedAs?: unknown }): ClaimOutcome {
  const text = (v: unknown) =>
    typeof v === 'string' ? v : typeof (v as { S?: unknown } | undefined)?.S === 'string' ? (v as { S: string }).S : undefined;
  if (text(stored.owner) !== owner) return { outcome: 'taken' };
  const cost = text(stored.cost);
  return { outcome: 'mine', cost: cost === undefined ? null : parseDecimal(cost), pricedAs: text(stored.pricedAs) ?? null };
}

function priceToItem(price: ModelPrice): Item {
  const text = (d: Decimal | undefined) => (d === undefined ? undefined : formatDecimal(d));
  return {
    ...ledgerKeys.modelPrice.key(price.model),
    model: price.model,
    input: formatDecimal(price.input),
    output: formatDecimal(price.output),
    cacheRead: text(price.cacheRead),
    cacheCreation: text(price.cacheCreation),
    reasoning: text(price.reasoning),
    updatedAt: price.updatedAt,
  };
}

function priceFromItem(item: Item): ModelPrice {
  const decimal = (v: unknown) => (typeof v === 'string' ? parseDecimal(v) : undefined);
  return {
    model: item.model as string,
    input: parseDecimal(item.input as string),
    output: parseDecimal(item.output as string),
    cacheRead: decimal(item.cacheRead),
    cacheCreation: decimal(item.cacheCreation),
    reasoning: decimal(item.reasoning),
    source: 'custom',
    updatedAt: item.updatedAt as string | undefined,
  };
}

export class DynamoUsageStore implements UsageStore {
  /** Write requests sent (successful or not); read by the benchmark. */
  writeRequests = 0;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = 400,
    private readonly now: () => number = Date.now,
  ) {}

  async getUsageBatch(owner: string): Promise<UsageBatchRecord | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: batchKey(owner), ConsistentRead: true }));
    if (!Item) return null;
    return { accepted: Item.accepted, duplicates: Item.duplicates, unpriced: Item.unpriced, createdAt: Item.createdAt };
  }

  async putUsageBatch(owner: string, record: UsageBatchRecord): Promise<void> {
    this.writeRequests += 1;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...batchKey(owner), ...record, expiresAt: Math.floor((Date.parse(record.createdAt) + IDEMPOTENCY_TTL_MS) / 1000) },
      }),
    );
  }

  /**
   * One conditional put per event (DynamoDB has no conditional batch write). A failed condition returns the
   * stored record, so a duplicate or a retry costs the same single request.
   */
  async claimEvents(owner: string, events: readonly PricedUsageEvent[]): Promise<ClaimOutcome[]> {
    const now = this.now();
    return mapWithConcurrency(events, CLAIM_CONCURRENCY, async (event): Promise<ClaimOutcome> => {
      try {
        this.writeRequests += 1;
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: claimItem(owner, event, now),
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { outcome: 'claimed' };
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error;
        const old = (error as { Item?: Record<string, unknown> }).Item;
        if (old) return claimOutcome(owner, old);
        const { Item } = await this.db.send(
          new GetCommand({ TableName: this.tableName, Key: usageClaimKey(event.requestId), ConsistentRead: true }),
        );
        return Item ? claimOutcome(owner, Item) : { outcome: 'taken' };
      }
    });
  }

  /** The per-event record of one request id, as stored at ingest (for audits and tests). */
  async usageEvent(requestId: string): Promise<Item | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: usageClaimKey(requestId), ConsistentRead: true }));
    return Item ?? null;
  }

  /**
   * Apply each rollup exactly once per owner: read the current items in batches of 100, then write each
   * merged item on a version condition; a lost race re-reads that item and merges again.
   */
  async applyRollups(owner: string, rollups: readonly UsageMinute[]): Promise<RollupWrite[]> {
    const keyed = rollups.map((rollup) => ({ rollup, key: usageRollupKey(rollup.minute, dimensionsKey(rollup.dims)) }));
    const current = await readItems(
      this.db,
      this.tableName,
      keyed.map((k) => k.key),
    );
    return mapWithConcurrency(keyed, ROLLUP_CONCURRENCY, ({ rollup, key }) =>
      applyOnce(this.db, this.tableName, {
        key,
        known: knownItem(current, key),
        applier: owner,
        build: (existing, version, owners) =>
          rollupToItem(
            existing ? { ...rollup, totals: mergeTotalsInto(rollupFromItem(existing).totals, rollup.totals) } : rollup,
            key,
            version,
            owners,
            this.retentionDays,
          ),
        onWrite: () => void (this.writeRequests += 1),
        describe: `usage rollup ${key.sk}`,
      }),
    );
  }

  /** Minute rollups whose minute lies in [from, to): one query per UTC day, a few days at a time. */
  async usageMinutes(window: { from: number; to: number }): Promise<UsageMinute[]> {
    const days: number[] = [];
    for (let day = Math.floor(window.from / DAY_MS) * DAY_MS; day < window.to; day += DAY_MS) days.push(day);
    const perDay = await mapWithConcurrency(days, 4, async (day) => {
      const out: UsageMinute[] = [];
      const range = ledgerKeys.usageMinute.range(day, Math.max(window.from, day), Math.min(window.to, day + DAY_MS) - 1);
      for await (const item of this.query({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':pk': range.pk, ':a': range.from, ':b': range.to },
      })) {
        out.push(rollupFromItem(item));
      }
      return out;
    });
    return perDay.flat();
  }

  async storedModelPrices(): Promise<ModelPrice[]> {
    const out: ModelPrice[] = [];
    for await (const item of this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ledgerKeys.modelPrice.pk },
    }))
      out.push(priceFromItem(item));
    return out;
  }

  async putModelPrice(price: ModelPrice): Promise<void> {
    this.writeRequests += 1;
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: priceToItem(price) }));
  }

  private query(input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<Item> {
    return queryAll(this.db, { ...input, TableName: this.tableName });
  }
}
