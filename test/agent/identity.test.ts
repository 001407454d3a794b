/**
 * Host identity from fake metadata services that answer in each cloud's real format. All three probes go to the same
 * base URL, as on a real VM where AWS, Azure and GCE all live at 169.254.169.254: only the right cloud may answer.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveHost } from '../../agent/src/identity.js';
import { agentEnv, runAgent, startFakeMetadataServer, startFakeNvidiaSmi, startIngestServer, tempDir } from './harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function metadata(cloud: 'aws' | 'azure' | 'gcp') {
  const server = await startFakeMetadataServer(cloud);
  cleanups.push(() => server.close());
  return server;
}

function sameBase(url: string) {
  return { aws: url, azure: url, gcp: url };
}

describe('resolveHost', () => {
  it('AWS IMDSv2: token first, then instance id, type and region', async () => {
    const imds = await metadata('aws');
    const { host, detected } = await resolveHost({ hostId: 'node-a', endpoints: sameBase(imds.url), timeoutMs: 300, pool: 'p5-pool' });
    expect(host).toEqual({
      hostId: 'node-a',
      instanceId: 'i-0a1b2c3d4e5f67890',
      instanceType: 'p5.48xlarge',
      provider: 'aws',
      region: 'us-east-1',
      pool: 'p5-pool',
    });
    expect(detected?.availabilityZone).toBe('us-east-1a');
    expect(imds.requests[0]).toMatchObject({ method: 'PUT', url: '/latest/api/token' });
    const gets = imds.requests.filter((r) => r.url.startsWith('/latest/meta-data/'));
    expect(gets.length).toBe(4);
    expect(gets.every((r) => r.headers['x-aws-ec2-metadata-token'] === 'AQAEAFakeImdsV2Token==')).toBe(true);
  });

  it('Azure IMDS: the ARM resource id, lowercased, so it joins Cost Management ResourceId', async () => {
    const imds = await metadata('azure');
    const { host } = await resolveHost({ hostId: 'node-b', endpoints: sameBase(imds.url), timeoutMs: 300 });
    expect(host).toEqual({
      hostId: 'node-b',
      instanceId:
        '/subscriptions/8d3f1c52-6a4b-4e2f-9b71-0c5e2d8a7f13/resourcegroups/ml-training-rg/providers/microsoft.compute/virtualmachines/gpu-h100-01',
      instanceType: 'Standard_ND96isr_H100_v5',
      provider: 'azure',
      region: 'eastus',
    });
    const azure = imds.requests.find((r) => r.url.startsWith('/metadata/instance'))!;
    expect(azure.url).toBe('/metadata/instance?api-version=2021-02-01');
    expect(azure.headers.metadata).toBe('true');
  });

  it('GCE metadata: the numeric instance id, machine type and region from the zone', async () => {
    const imds = await metadata('gcp');
    const { host } = await resolveHost({ hostId: 'node-c', endpoints: sameBase(imds.url), timeoutMs: 300, labels: { team: 'ml' } });
    expect(host).toEqual({
      hostId: 'node-c',
      instanceId: '4520031799277581759',
      instanceType: 'a3-highgpu-8g',
      provider: 'gcp',
      region: 'us-central1',
      labels: { team: 'ml' },
    });
    expect(imds.requests.filter((r) => r.url.startsWith('/computeMetadata/')).every((r) => r.headers['metadata-flavor'] === 'Google')).toBe(
      true,
    );
  });

  it('no metadata service: the hostname only, within the timeout even when a service hangs', async () => {
    const hanging = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          hanging.closeAllConnections();
          hanging.close(() => r());
        }),
    );
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    const started = Date.now();
    const { host, detected } = await resolveHost({ endpoints: sameBase(url), timeoutMs: 300 });
    const elapsed = Date.now() - started;
    expect(detected).toBeUndefined();
    expect(host).toEqual({ hostId: os.hostname().replace(/[^A-Za-z0-9._:@/-]/g, '-') });
    expect(elapsed).toBeLessThan(1_500);
  });

  it('explicit provider and overrides win; provider none skips probing', async () => {
    const imds = await metadata('aws');
    const { host } = await resolveHost({
      hostId: 'rack 7/node#3',
      provider: 'onprem',
      instanceId: 'asset-0042',
      region: 'dc-fra-1',
      endpoints: sameBase(imds.url),
      timeoutMs: 300,
    });
    expect(host).toEqual({ hostId: 'rack-7/node-3', instanceId: 'asset-0042', provider: 'onprem', region: 'dc-fra-1' });
    const none = await resolveHost({ hostId: 'x', provider: 'none', endpoints: sameBase(imds.url), timeoutMs: 300 });
    expect(none.host).toEqual({ hostId: 'x' });
    expect(imds.requests).toHaveLength(0);
  });
});

describe('the agent sends the identity it found', () => {
  it('Azure: host.instanceId is the lowercased ARM id in every batch', async () => {
    const imds = await metadata('azure');
    const server = await startIngestServer();
    cleanups.push(() => server.close());
    const smi = startFakeNvidiaSmi({ fixture: 'nvidia-smi-h100-80gb-hbm3-x8.csv' });
    cleanups.push(() => smi.cleanup());
    const spool = tempDir();
    cleanups.push(() => fs.rmSync(spool, { recursive: true, force: true }));
    const a = await runAgent({
      args: ['--once', '--pool', 'nd-h100', '--labels', 'team=research,env=prod'],
      env: agentEnv({
        ingest: server,
        nvidiaSmi: smi,
        spoolDir: spool,
        extra: {
          LEDGER_AGENT_PROVIDER: 'auto',
          LEDGER_AGENT_AWS_METADATA_URL: imds.url,
          LEDGER_AGENT_AZURE_METADATA_URL: imds.url,
          LEDGER_AGENT_GCP_METADATA_URL: imds.url,
        },
      }),
    });
    expect((await a.exited).code).toBe(0);
    expect(server.batches[0]!.host).toEqual({
      hostId: 'test-host-1',
      instanceId:
        '/subscriptions/8d3f1c52-6a4b-4e2f-9b71-0c5e2d8a7f13/resourcegroups/ml-training-rg/providers/microsoft.compute/virtualmachines/gpu-h100-01',
      instanceType: 'Standard_ND96isr_H100_v5',
      provider: 'azure',
      region: 'eastus',
      pool: 'nd-h100',
      labels: { team: 'research', env: 'prod' },
    });
  });
});
