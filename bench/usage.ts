import { gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../shared/adapters/dynamo/client.js';
import { ensureLedgerTable } from '../shared/adapters/dynamo/create-table.js';
import { DynamoUsageStore } from '../shared/adapters/dynamo/usage-store.js';
import { checkUsageWindow, parseUsageBatch } from '../shared/domain/usage/usage-events.js';
import { ingestUsage, priceUsageEvents, uniqueByRequestId, usageBatchOwner } from '../shared/domain/usage/usage-ingest.js';
import { otlpTracesSchema, usageEventsFromOtlp } from '../shared/domain/usage/usage-otlp.js';
import { priceTable } from '../shared/domain/usage/usage-pricing.js';
import { foldUsage } from '../shared/domain/usage/usage-rollup.js';
import { startEmbeddedDynamo } from '../local/dynamodb.js';
import { startLedger } from '../local/runtime.js';
import { fmt, measureRate, measureRateAsync, report } from './harness.js';

/**
 * LLM usage ingest. A batch is 1,000 events from a service calling five models for three workflows, four
 * agents and two teams over two minutes, with cache, reasoning and latency attributes (about 400 bytes of
 * JSON per event). Prints the CPU path (parse, validate, price, fold) against bare JSON.parse of the same
 * bytes, the same for an OTLP/HTTP JSON export of those requests, and end-to-end rates against DynamoDB Local.
 */
const EVENTS_PER_BATCH = 1_000;
const models = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5', 'o4-mini', 'llama-3.1-70b-instruct'];
const workflows = ['support-ticket', 'research', 'summarize'];
const agents = ['triage', 'planner', 'writer', 'critic'];

function usageBatch(seed: number, start: number): { batchId: string; events: Record<string, unknown>[] } {
  let x = seed * 2654435761;
  const next = () => (x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x6d2b79f5) >>> 0) / 4294967296;
  const events = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => {
    const input = 200 + Math.floor(next() * 6000);
    const output = 20 + Math.floor(next() * 1500);
    const model = models[i % models.length]!;
    return {
      'ledger.request.id': `bench-${seed}-${i}`,
      time: start + Math.floor((i / EVENTS_PER_BATCH) * 120_000),
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': model.startsWith('claude') ? 'anthropic' : 'openai',
      'gen_ai.request.model': model,
      'gen_ai.response.model': model,
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
      'gen_ai.usage.cache_read.input_tokens': Math.floor(input * next() * 0.8),
      'gen_ai.usage.reasoning.output_tokens': model === 'o4-mini' ? Math.floor(output * 0.7) : 0,
      'gen_ai.conversation.id': `conv-${Math.floor(i / 7)}`,
      'gen_ai.agent.name': agents[i % agents.length],
      'gen_ai.workflow.name': workflows[i % workflows.length],
      'ledger.team': i % 2 ? 'support' : 'research',
      'ledger.retry.count': next() < 0.05 ? 1 : 0,
      duration_ms: Math.round(200 + next() * next() * 8000),
      status: next() < 0.01 ? 'error' : 'ok',
    };
  });
  return { batchId: `bench-${seed}`, events };
}

/** The same requests as one OTLP/HTTP JSON export (string int64 values, as the Python SDK writes them). */
function otlpExport(batch: ReturnType<typeof usageBatch>) {
  const value = (v: unknown) =>
    typeof v === 'number' ? (Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v }) : { stringValue: String(v) };
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] },
        scopeSpans: [
          {
            scope: { name: 'opentelemetry.instrumentation.openai_v2', version: '2.2b0' },
            spans: batch.events.map((e, i) => {
              const end = BigInt(e.time as number) * 1_000_000n;
              const start = end - BigInt(e.duration_ms as number) * 1_000_000n;
              const attributes = Object.entries(e)
                .filter(([k]) => k !== 'time' && k !== 'duration_ms' && k !== 'status' && k !== 'ledger.request.id')
                .map(([key, v]) => ({ key, value: value(v) }));
              return {
                traceId: (i + 1).toString(16).padStart(32, '0'),
                spanId: (i + 1).toString(16).padStart(16, '0'),
                name: `chat ${String(e['gen_ai.request.model'])}`,
                kind: 3,
                startTimeUnixNano: String(start),
                endTimeUnixNano: String(end),
                attributes,
                status: { code: e.status === 'error' ? 2 : 0 },
              };
            }),
          },
        ],
      },
    ],
  };
}

export async function benchUsage(): Promise<void> {
  const start = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3_600_000;
  const batch = usageBatch(1, start);
  const bytes = Buffer.from(JSON.stringify(batch));
  const prices = priceTable([]);
  const now = Date.now();

  const parseOnly = measureRate(() => JSON.parse(bytes.toString('utf8')));
  const cpuPath = measureRate(() => {
    const { batchId, events } = parseUsageBatch(JSON.parse(bytes.toString('utf8')));
    checkUsageWindow(events, now);
    usageBatchOwner(batchId, events);
    return foldUsage(priceUsageEvents(uniqueByRequestId(events), prices));
  });
  const otlpBytes = Buffer.from(JSON.stringify(otlpExport(batch)));
  const otlpParseOnly = measureRate(() => JSON.parse(otlpBytes.toString('utf8')));
  const otlpPath = measureRate(() => {
    const conversion = usageEventsFromOtlp(otlpTracesSchema.parse(JSON.parse(otlpBytes.toString('utf8'))), now);
    usageBatchOwner(undefined, conversion.events);
    return foldUsage(priceUsageEvents(conversion.events, prices));
  });
  const rollups = foldUsage(priceUsageEvents(parseUsageBatch(batch).events, prices)).length;
  report(`Usage ingest CPU path, one batch = ${EVENTS_PER_BATCH} events (${rollups} minute rollups), ${fmt(bytes.length)} bytes of JSON`, [
    ['JSON.parse only (baseline)', `${fmt(parseOnly.opsPerSec * EVENTS_PER_BATCH)} events/s`],
    ['parse + validate + price + fold', `${fmt(cpuPath.opsPerSec * EVENTS_PER_BATCH)} events/s`],
    ['ratio to JSON.parse', fmt(cpuPath.opsPerSec / parseOnly.opsPerSec, 3)],
    [`OTLP JSON: JSON.parse only (${fmt(otlpBytes.length)} bytes)`, `${fmt(otlpParseOnly.opsPerSec * EVENTS_PER_BATCH)} spans/s`],
    ['OTLP JSON: parse + convert + price + fold', `${fmt(otlpPath.opsPerSec * EVENTS_PER_BATCH)} spans/s`],
    ['OTLP ratio to JSON.parse', fmt(otlpPath.opsPerSec / otlpParseOnly.opsPerSec, 3)],
  ]);

  const dynamo = await startEmbeddedDynamo();
  try {
    const tableName = 'bench-usage';
    await ensureLedgerTable(
      new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
      tableName,
    );
    const store = new DynamoUsageStore(createDocumentClient({ region: 'us-east-1', endpoint: dynamo.endpoint }), tableName);
    const serviceBatches = Array.from({ length: 5 }, (_, i) => parseUsageBatch(usageBatch(100 + i, start + i * 120_000)));
    let t0 = performance.now();
    for (const b of serviceBatches) await ingestUsage(store, b.events, { batchId: b.batchId, now: Date.now() });
    const serviceSeconds = (performance.now() - t0) / 1000;
    const serviceEvents = serviceBatches.length * EVENTS_PER_BATCH;
    const writesPer1000 = (store.writeRequests / serviceEvents) * 1000;
    t0 = performance.now();
    for (const b of serviceBatches) await ingestUsage(store, b.events, { batchId: b.batchId, now: Date.now() });
    const replaySeconds = (performance.now() - t0) / 1000;

    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    const runtime = await startLedger({ port: 0, dynamoEndpoint: dynamo.endpoint, tableName: 'bench-usage-http' });
    let n = 0;
    const http = await measureRateAsync(async () => {
      const res = await fetch(`${runtime.url}/v1/usage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${runtime.token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(usageBatch(1000 + n, start + (n++ % 60) * 120_000))),
      });
      if (res.status !== 202) throw new Error(`usage ingest answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }, 6000);
    await runtime.stop();
    const httpRate = http.opsPerSec * EVENTS_PER_BATCH;
    report('Usage ingest end to end against DynamoDB Local (one client, sequential batches of 1,000 events)', [
      ['service level (claims + rollups)', `${fmt(serviceEvents / serviceSeconds)} events/s`],
      ['replayed batches (answered from the batch record)', `${fmt(serviceEvents / replaySeconds)} events/s`],
      ['over HTTP (gzip, auth, handler)', `${fmt(httpRate)} events/s`],
      ['HTTP end to end / CPU path', fmt(httpRate / (cpuPath.opsPerSec * EVENTS_PER_BATCH), 3)],
      [
        'DynamoDB write requests',
        `${fmt(writesPer1000, 1)} per 1,000 events (${store.writeRequests} for ${fmt(serviceEvents)} events: one claim per event, one write per rollup touched, one batch record)`,
      ],
    ]);
  } finally {
    await dynamo.stop();
  }
}
