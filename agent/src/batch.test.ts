import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { batchIdFor, buildBatches } from './batch.js';
import type { GpuSample, MeasurementBatch } from './wire.js';

const host = { hostId: 'gpu-node-1', provider: 'aws' as const };

function samples(n: number, fieldsPerSample = 3): GpuSample[] {
  return Array.from({ length: n }, (_, i) => ({
    time: new Date(Date.UTC(2026, 10, 23, 10, 0, 0) + Math.floor(i / 8) * 10_000).toISOString(),
    gpu: { index: i % 8, uuid: `GPU-${i % 8}`, model: 'NVIDIA H100 80GB HBM3' },
    fields: Object.fromEntries(Array.from({ length: fieldsPerSample }, (_, f) => [`DCGM_FI_DEV_F${f}`, Math.random()])),
  }));
}

function decode(body: Buffer): MeasurementBatch {
  return JSON.parse(gunzipSync(body).toString('utf8')) as MeasurementBatch;
}

describe('batchIdFor', () => {
  it('is host-firstSampleMs-seq with only the characters the API allows, at most 128 long', () => {
    expect(batchIdFor('gpu-node-1', 1763892000000, 7)).toBe('gpu-node-1-1763892000000-7');
    expect(batchIdFor('rack/4 node#2', 1, 2)).toBe('rack-4-node-2-1-2');
    const long = batchIdFor('h'.repeat(300), 1763892000000, 123456);
    expect(long.length).toBe(128);
    expect(long.endsWith('-1763892000000-123456')).toBe(true);
  });
});

describe('buildBatches', () => {
  it('splits at the sample limit, keeps order, gives each part its own id', () => {
    let seq = 0;
    const all = samples(25_000);
    const batches = buildBatches(host, all, [], { maxSamples: 10_000, maxCompressedBytes: 1024 * 1024 }, () => ++seq);
    expect(batches.map((b) => b.samples)).toEqual([10_000, 10_000, 5_000]);
    const decoded = batches.map((b) => decode(b.body));
    expect(decoded.flatMap((d) => d.samples)).toEqual(all);
    expect(decoded.map((d) => d.batchId)).toEqual(batches.map((b) => b.batchId));
    expect(new Set(batches.map((b) => b.batchId)).size).toBe(3);
    expect(batches[0]!.batchId).toBe(`gpu-node-1-${Date.parse(all[0]!.time)}-1`);
    expect(decoded[1]!.host).toEqual(host);
    for (const b of batches) expect(b.body.length).toBeLessThanOrEqual(1024 * 1024);
  });

  it('splits further when the compressed body is over the byte limit', () => {
    let seq = 0;
    const all = samples(2_000, 40);
    const limit = 64 * 1024;
    const batches = buildBatches(host, all, [], { maxSamples: 10_000, maxCompressedBytes: limit }, () => ++seq);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(b.body.length).toBeLessThanOrEqual(limit);
    expect(batches.map((b) => decode(b.body)).flatMap((d) => d.samples)).toEqual(all);
  });

  it('puts inference readings on the first part only and sends nothing without samples', () => {
    let seq = 0;
    const inference = [{ time: 't', server: 's', model: 'm', promptTokensTotal: 5 }];
    const batches = buildBatches(host, samples(3), inference, { maxSamples: 2, maxCompressedBytes: 1 << 20 }, () => ++seq);
    expect(decode(batches[0]!.body).inference).toEqual(inference);
    expect(decode(batches[1]!.body).inference).toBeUndefined();
    expect(buildBatches(host, [], inference, { maxSamples: 2, maxCompressedBytes: 1 << 20 }, () => ++seq)).toEqual([]);
  });
});
