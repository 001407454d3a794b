import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerRuntime } from '../../local/runtime.js';
import { apiClient, startTestLedger } from '../support/ledger.js';

let ledger: LedgerRuntime;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  ledger = await startTestLedger();
  api = apiClient(ledger);
});
afterAll(async () => ledger?.stop());

const now = Date.now();
const good = () => ({
  batchId: 'hostile-ok',
  host: { hostId: 'host-1' },
  samples: [
    {
      time: new Date(now - 60_000).toISOString(),
      gpu: { index: 0, uuid: 'GPU-1', model: 'H100' },
      fields: { DCGM_FI_PROF_SM_ACTIVE: 0.5 },
    },
  ],
});
const withSample = (patch: Record<string, unknown>) => ({ ...good(), samples: [{ ...good().samples[0], ...patch }] });

interface Case {
  name: string;
  status: number;
  /** Text the error message must contain: the field it names. */
  message: string;
  body?: unknown;
  headers?: Record<string, string>;
  gzip?: boolean;
  method?: string;
  path?: string;
}

const cases: Case[] = [
  { name: 'no body', status: 400, message: 'body: a JSON body is required', body: '', headers: { 'content-type': 'application/json' } },
  { name: 'not JSON', status: 400, message: 'body: not valid JSON', body: '{"batchId": ', headers: { 'content-type': 'application/json' } },
  { name: 'JSON array instead of object', status: 400, message: '(body)', body: [] },
  { name: 'JSON null', status: 400, message: '(body)', body: 'null', headers: { 'content-type': 'application/json' } },
  {
    name: 'wrong content type',
    status: 415,
    message: 'content-type',
    body: 'batchId=1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  },
  { name: 'no content type', status: 415, message: 'content-type', body: Buffer.from('{}') },
  {
    name: 'unsupported encoding',
    status: 415,
    message: 'content-encoding: br',
    body: '{}',
    headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
  },
  {
    name: 'gzip header on a plain body',
    status: 400,
    message: 'not valid gzip',
    body: JSON.stringify(good()),
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  },
  { name: 'missing batchId', status: 400, message: 'batchId', body: { ...good(), batchId: undefined } },
  { name: 'empty batchId', status: 400, message: 'batchId', body: { ...good(), batchId: '' } },
  { name: 'batchId with a key separator', status: 400, message: 'batchId', body: { ...good(), batchId: 'a#b' } },
  { name: 'missing host', status: 400, message: 'host', body: { ...good(), host: undefined } },
  { name: 'hostId with spaces', status: 400, message: 'host.hostId', body: { ...good(), host: { hostId: 'my host' } } },
  { name: 'unknown provider', status: 400, message: 'host.provider', body: { ...good(), host: { hostId: 'h', provider: 'ibm' } } },
  { name: 'labels not strings', status: 400, message: 'host.labels.team', body: { ...good(), host: { hostId: 'h', labels: { team: 5 } } } },
  { name: 'no samples', status: 400, message: 'samples: a batch needs at least one sample', body: { ...good(), samples: [] } },
  { name: 'samples not an array', status: 400, message: 'samples', body: { ...good(), samples: 'many' } },
  { name: 'time not a time', status: 400, message: 'samples[0].time', body: withSample({ time: 'yesterday' }) },
  { name: 'time without zone', status: 400, message: 'samples[0].time', body: withSample({ time: '2026-11-20T10:00:00' }) },
  {
    name: 'time older than 7 days',
    status: 400,
    message: 'samples[0].time: older than 7 days',
    body: withSample({ time: now - 8 * 86_400_000 }),
  },
  {
    name: 'time in the future',
    status: 400,
    message: 'samples[0].time: more than 5 minutes in the future',
    body: withSample({ time: now + 3_600_000 }),
  },
  { name: 'fractional epoch time', status: 400, message: 'samples[0].time', body: withSample({ time: 1.5 }) },
  {
    name: 'negative GPU index',
    status: 400,
    message: 'samples[0].gpu.index',
    body: withSample({ gpu: { index: -1, uuid: 'u', model: 'm' } }),
  },
  { name: 'missing GPU uuid', status: 400, message: 'samples[0].gpu.uuid', body: withSample({ gpu: { index: 0, model: 'm' } }) },
  {
    name: 'field that is not a DCGM name',
    status: 400,
    message: 'samples[0].fields.gpu_util',
    body: withSample({ fields: { gpu_util: 5 } }),
  },
  {
    name: 'field value as a string',
    status: 400,
    message: 'samples[0].fields.DCGM_FI_DEV_GPU_UTIL',
    body: withSample({ fields: { DCGM_FI_DEV_GPU_UTIL: '[N/A]' } }),
  },
  { name: 'fields not an object', status: 400, message: 'samples[0].fields', body: withSample({ fields: [1, 2] }) },
  {
    name: 'over 10,000 samples',
    status: 413,
    message: 'samples: 10001 samples',
    body: { ...good(), samples: Array.from({ length: 10_001 }, () => good().samples[0]) },
    gzip: true,
  },
  {
    name: 'over 1 MiB compressed',
    status: 413,
    message: 'at most 1048576 bytes',
    body: Buffer.from(Array.from({ length: 1_200_000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('')),
    headers: { 'content-type': 'application/json' },
  },
  {
    name: 'one host-minute too large for one item (600 GPUs x 40 fields)',
    status: 413,
    message: 'bytes of rollups in one minute',
    body: {
      ...good(),
      batchId: 'too-wide',
      samples: Array.from({ length: 600 }, (_, g) => ({
        time: now - 60_000,
        gpu: { index: g, uuid: `GPU-${g}`, model: 'H100' },
        fields: Object.fromEntries(Array.from({ length: 40 }, (_, f) => [`DCGM_FI_CUSTOM_FIELD_${f}`, f])),
      })),
    },
    gzip: true,
  },
  {
    name: 'gzip bomb',
    status: 413,
    message: 'inflates beyond',
    body: gzipSync(Buffer.alloc(40 * 1024 * 1024, 32)),
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  },
  {
    name: 'a field named constructor',
    status: 400,
    message: 'samples[0].fields.constructor',
    body: withSample({ fields: { constructor: 1 } }),
  },
  {
    name: 'deeply nested garbage',
    status: 400,
    message: 'host',
    body: { ...good(), host: JSON.parse('['.repeat(2000) + ']'.repeat(2000)) },
  },
  { name: 'unknown route', status: 404, message: 'no route for POST /v1/measurement', path: '/v1/measurement', body: good() },
  { name: 'wrong method', status: 404, message: 'no route for DELETE /v1/measurements', method: 'DELETE', body: undefined },
  { name: 'utilization: bad step', status: 400, message: 'query: step', method: 'GET', path: '/v1/fleet/utilization?step=5m' },
  {
    name: 'utilization: from after to',
    status: 400,
    message: 'from: must be before to',
    method: 'GET',
    path: '/v1/fleet/utilization?from=2026-11-20T00:00:00Z&to=2026-11-19T00:00:00Z',
  },
  {
    name: 'utilization: window too long',
    status: 400,
    message: 'from: the window may span at most 93 days',
    method: 'GET',
    path: '/v1/fleet/utilization?from=2026-01-01T00:00:00Z&to=2026-11-19T00:00:00Z&step=1d',
  },
  {
    name: 'utilization: too many points',
    status: 400,
    message: 'step: 1m over this window',
    method: 'GET',
    path: '/v1/fleet/utilization?from=2026-10-01T00:00:00Z&to=2026-11-19T00:00:00Z&step=1m',
  },
  { name: 'utilization: not a time', status: 400, message: 'query: from', method: 'GET', path: '/v1/fleet/utilization?from=last-week' },
  {
    name: 'utilization: hostId injection',
    status: 400,
    message: 'query: hostId',
    method: 'GET',
    path: '/v1/fleet/utilization?hostId=a%23b',
  },
];

describe('malformed and hostile requests', () => {
  it('has a broad table', () => expect(cases.length).toBeGreaterThanOrEqual(25));

  it.each(cases)('$name → $status', async (c) => {
    const response = await api(c.method ?? 'POST', c.path ?? '/v1/measurements', {
      body: c.body,
      ...(c.headers ? { headers: c.headers } : {}),
      ...(c.gzip ? { gzip: true } : {}),
    });
    expect(response.status).toBe(c.status);
    expect(response.body.error.message).toContain(c.message);
    expect(response.body.error.code).toMatch(/^[a-z_]+$/);
  });

  it('refuses a __proto__ field name and lets nothing reach a prototype', async () => {
    const sample = `{"time":${now - 60_000},"gpu":{"index":0,"uuid":"GPU-proto","model":"m"},"fields":{"__proto__":{"DCGM_FI_PROF_SM_ACTIVE":1},"DCGM_FI_DEV_GPU_UTIL":7}}`;
    const body = `{"batchId":"proto","host":{"hostId":"host-proto"},"samples":[${sample}]}`;
    const response = await api('POST', '/v1/measurements', { body, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('samples[0].fields.__proto__: field names must be DCGM field names');
    expect(({} as Record<string, unknown>).DCGM_FI_PROF_SM_ACTIVE).toBeUndefined();
  });

  it('stored nothing from any of the malformed ones', async () => {
    const report = await api('GET', '/v1/fleet/utilization?step=1h');
    expect(report.status).toBe(200);
    expect(report.body.hosts).toEqual([]);
    expect(report.body.totals.observedGpuHours).toBe(0);
  });
});
