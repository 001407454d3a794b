import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorFailed } from '../../events/collector.js';
import { EventBridgePublisher } from '../../shared/adapters/events.js';

/** A local endpoint speaking EventBridge's JSON 1.1 protocol: records PutEvents and fails chosen entries. */
let server: Server;
let endpoint: string;
const received: { target: string; entries: { Source: string; DetailType: string; Detail: string; EventBusName: string }[] }[] = [];
let failNext: number[] = [];
let throttleNext = 0;
let failAlways = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (throttleNext > 0) {
        throttleNext--;
        res.statusCode = 400;
        return res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
      }
      const { Entries } = JSON.parse(body);
      received.push({ target, entries: Entries });
      const failing = new Set(failAlways ? Entries.map((_: unknown, i: number) => i) : failNext);
      failNext = [];
      res.end(
        JSON.stringify({
          FailedEntryCount: failing.size,
          Entries: Entries.map((_: unknown, i: number) =>
            failing.has(i) ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' } : { EventId: `evt-${received.length}-${i}` },
          ),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const client = () =>
  new EventBridgeClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 3,
    retryMode: 'standard',
  });
const event = (i: number) =>
  collectorFailed.create({
    runId: `r${i}`,
    collector: 'aws-costs',
    provider: 'aws',
    periodStart: '2026-11-01',
    periodEnd: '2026-11-02',
    error: 'boom',
    at: '2026-11-02T00:00:00Z',
  });

describe('EventBridgePublisher', () => {
  it('sends events in entries of ten with the ledger source and the event name as detail type', async () => {
    received.length = 0;
    await new EventBridgePublisher(client(), 'ledger-bus').publish(Array.from({ length: 12 }, (_, i) => event(i)));
    expect(received.map((r) => r.entries.length)).toEqual([10, 2]);
    expect(received[0]!.target).toBe('AWSEvents.PutEvents');
    expect(received[0]!.entries[0]).toEqual({
      EventBusName: 'ledger-bus',
      Source: 'compute-ledger',
      DetailType: 'collector.failed',
      Detail: JSON.stringify(event(0).detail),
    });
  });

  it('retries only the entries EventBridge reports as failed, and survives throttling', async () => {
    received.length = 0;
    throttleNext = 1;
    failNext = [1, 3];
    await new EventBridgePublisher(client(), 'ledger-bus').publish([0, 1, 2, 3].map(event));
    expect(received.map((r) => r.entries.map((e) => JSON.parse(e.Detail).runId))).toEqual([
      ['r0', 'r1', 'r2', 'r3'],
      ['r1', 'r3'],
    ]);
  });

  it('gives up with a clear error when entries keep failing', async () => {
    received.length = 0;
    const publisher = new EventBridgePublisher(client(), 'ledger-bus', 2);
    failAlways = true;
    await expect(publisher.publish([event(0)])).rejects.toThrow(/EventBridge refused 1 of 1 events after 2 attempts \(InternalFailure\)/);
    failAlways = false;
    expect(received).toHaveLength(2);
  });

  it('validates event details against their schema when they are created', () => {
    expect(() =>
      collectorFailed.create({ runId: 'r', collector: 'c', provider: 'ibm' as never, periodStart: '', periodEnd: '', error: '', at: '' }),
    ).toThrow();
  });
});
