import { gzipSync } from 'node:zlib';
import { createDocumentClient } from '../shared/adapters/dynamo/client.js';
import { ensureLedgerTable } from '../shared/adapters/dynamo/create-table.js';
import { DynamoMeasurementStore } from '../shared/adapters/dynamo/measurement-store.js';
import { checkBatchSize, checkSampleWindow, ingestMeasurements } from '../shared/domain/measurements/ingest-measurements.js';
import { parseMeasurementBatch } from '../shared/domain/measurements/measurement-fast-path.js';
import { measurementBatchSchema, sampleTimes } from '../shared/domain/measurements/measurement-batch.js';
import { foldBatch } from '../shared/domain/measurements/rollup.js';
import { parseWith } from '../shared/errors.js';
import { hostBatch, simulatedHosts, type FleetOptions } from '../local/fleet-simulator.js';
import { startEmbeddedDynamo } from '../local/dynamodb.js';
import { startLedger } from '../local/runtime.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fmt, measureRate, measureRateAsync, report } from './harness.js';

/**
 * GPU measurement ingest: a realistic batch is 8 GPUs x 60 one-second samples x 12 DCGM fields (480 samples).
 * Prints the CPU path (parse, validate, fold) against bare JSON.parse of the same bytes, end-to-end rates
 * against DynamoDB Local, and write requests per 1,000 samples.
 */
const fleet: FleetOptions = { hosts: 64, gpusPerHost: 8, sampleIntervalSec: 1, seed: 11 };

export async function benchIngest(): Promise<void> {
  const hosts = simulatedHosts(fleet);
  const start = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3600_000;
  const batch = hostBatch(hosts[0]!, 0, start, start + 60_000, fleet);
  const bytes = Buffer.from(JSON.stringify(batch));
  const samples = batch.samples.length;
  const fields = Object.keys(batch.samples[0]!.fields).length;
  const now = Date.now();

  const parseOnly = measureRate(() => JSON.parse(bytes.toString('utf8')));
  const cpuPath = measureRate(() => {
    const body = JSON.parse(bytes.toString('utf8'));
    checkBatchSize(body, 10_000);
    const parsed = parseMeasurementBatch(body);
    const times = sampleTimes(parsed);
    checkSampleWindow(times, now);
    return foldBatch(parsed, times);
  });
  // The same path with zod validating every sample (what a batch the fast path refuses goes through).
  const zodPath = measureRate(() => {
    const parsed = parseWith(measurementBatchSchema, JSON.parse(bytes.toString('utf8')));
    const times = sampleTimes(parsed);
    checkSampleWindow(times, now);
    return foldBatch(parsed, times);
  });
  const ratio = cpuPath.opsPerSec / parseOnly.opsPerSec;
  report(`Ingest CPU path, one batch = ${samples} samples (8 GPUs x 60 s x ${fields} fields), ${fmt(bytes.length)} bytes of JSON`, [
    ['JSON.parse only (baseline)', `${fmt(parseOnly.opsPerSec * samples)} samples/s`],
    ['parse + validate + fold', `${fmt(cpuPath.opsPerSec * samples)} samples/s`],
    ['ratio to JSON.parse', `${fmt(ratio, 2)} (aim: at least 0.5)`],
    ['with zod on every sample', `${fmt(zodPath.opsPerSec * samples)} samples/s, ratio ${fmt(zodPath.opsPerSec / parseOnly.opsPerSec, 2)}`],
  ]);

  // End to end, service level: the store counts its write requests.
  const dynamo = await startEmbeddedDynamo();
  try {
    const tableName = 'bench-ingest';
    await ensureLedgerTable(
      new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
      tableName,
    );
    const store = new DynamoMeasurementStore(createDocumentClient({ region: 'us-east-1', endpoint: dynamo.endpoint }), tableName);
    // Agents send 60-second batches that are not aligned to minutes, so most batches touch two host-minutes.
    let minute = 0;
    const serviceBatches = hosts.map((host, i) => hostBatch(host, i, start + 17_000, start + 77_000, fleet));
    const t0 = performance.now();
    for (const b of serviceBatches) await ingestMeasurements(store, { ...b, batchId: `svc-${minute++}` }, Date.now());
    const serviceSeconds = (performance.now() - t0) / 1000;
    const serviceSamples = serviceBatches.reduce((n, b) => n + b.samples.length, 0);
    const writesPer1000 = (store.writeRequests / serviceSamples) * 1000;

    // End to end over HTTP: gzip, auth, middleware, handler, DynamoDB Local.
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    const runtime = await startLedger({ port: 0, dynamoEndpoint: dynamo.endpoint, tableName: 'bench-http' });
    let n = 0;
    const bodies = hosts.map((host, i) => hostBatch(host, i, start + 120_000, start + 180_000, fleet));
    const http = await measureRateAsync(async () => {
      const b = bodies[n % bodies.length]!;
      const res = await fetch(`${runtime.url}/v1/measurements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${runtime.token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify({ ...b, batchId: `http-${n++}` })),
      });
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
      await res.arrayBuffer();
    }, 4000);
    await runtime.stop();
    const httpRate = http.opsPerSec * samples;
    report('Ingest end to end against DynamoDB Local (one client, sequential batches)', [
      ['service level (fold + DynamoDB)', `${fmt(serviceSamples / serviceSeconds)} samples/s`],
      ['over HTTP (gzip, auth, handler)', `${fmt(httpRate)} samples/s`],
      ['HTTP end to end / CPU path', `${fmt(httpRate / (cpuPath.opsPerSec * samples), 3)}`],
      [
        'DynamoDB write requests',
        `${fmt(writesPer1000, 2)} per 1,000 samples (${store.writeRequests} for ${fmt(serviceSamples)} samples in ${serviceBatches.length} batches)`,
      ],
    ]);
  } finally {
    await dynamo.stop();
  }
}
