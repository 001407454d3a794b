import '../../local/local-logging.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCollectors } from '../../shared/services/collect/index.js';
import { defaultFleet, postFleetRange, simulatedHosts } from '../../local/fleet-simulator.js';
import { startLocalProviders, type LocalProviders } from '../../local/providers/index.js';
import type { LedgerRuntime } from '../../local/runtime.js';
import { localCollectorContext } from '../support/collectors.js';
import { apiClient, startTestLedger } from '../support/ledger.js';

/**
 * The local system is one organization: the simulated fleet's hosts are instances the local provider server
 * bills, so a host's measurements and its cost records meet on the instance id (what analysis joins on).
 */
let ledger: LedgerRuntime;
let providers: LocalProviders;

beforeAll(async () => {
  ledger = await startTestLedger();
  providers = await startLocalProviders();
});
afterAll(async () => {
  await providers?.stop();
  await ledger?.stop();
});

describe('simulated fleet and simulated bills', () => {
  it('bill the same instances: every fleet host has AWS cost records under its instance id', async () => {
    const api = apiClient(ledger);
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    await postFleetRange(ledger.url, ledger.token, now - 10 * 60_000, now, defaultFleet);
    const context = localCollectorContext(ledger, providers, { asOf: new Date().toISOString() });
    try {
      const day = new Date(now - 3 * 86_400_000).toISOString().slice(0, 10);
      const next = new Date(now - 2 * 86_400_000).toISOString().slice(0, 10);
      await runCollectors('aws-costs', context, { from: day, to: next });
      const byResource = await api('GET', `/v1/costs?from=${day}&to=${next}&provider=aws&groupBy=ResourceId`);
      const billed = new Set(byResource.body.groups.map((g: { key: string | null }) => g.key));
      const utilization = await api('GET', '/v1/fleet/utilization?step=1h');
      const measured = utilization.body.hosts.map((h: { instanceId: string }) => h.instanceId);
      expect([...measured].sort()).toEqual(
        simulatedHosts(defaultFleet)
          .map((h) => h.instanceId)
          .sort(),
      );
      for (const instanceId of measured) expect(billed, instanceId).toContain(instanceId);
    } finally {
      await context.clients.close();
    }
  });
});
