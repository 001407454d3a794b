import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { CollectorRun } from '../../shared/domain/providers/collector-runs.js';
import { apiClient, startTestLedger } from '../support/ledger.js';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');
const scratch = mkdtempSync(join(tmpdir(), 'ledger-collect-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The environment without any cloud credentials or endpoints, as on a fresh machine. */
function withoutClouds(env: NodeJS.ProcessEnv): Record<string, string> {
  const cloud =
    /^(AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|WEB_IDENTITY_TOKEN_FILE|CONTAINER_CREDENTIALS_.*|LAMBDA_FUNCTION_NAME|ENDPOINT_URL.*)|AZURE_.*|IDENTITY_ENDPOINT|MSI_ENDPOINT|GOOGLE_APPLICATION_CREDENTIALS|LEDGER_(AZURE|GCP|AWS)_.*|LEDGER_LOCAL_PROVIDERS.*)$/;
  return Object.fromEntries(Object.entries(env).filter(([name, value]) => value !== undefined && !cloud.test(name))) as Record<
    string,
    string
  >;
}

function ledger(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [tsx, 'local/cli.ts', ...args], { cwd: root, env: { ...withoutClouds(process.env), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

const env = () => ({
  LEDGER_DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
  LEDGER_TABLE_NAME: 'cli-collect',
  LEDGER_STATE_DIR: join(scratch, 'state'),
});
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('ledger collect', () => {
  it('starts the local provider server when no cloud is configured and prints one line per collector', { timeout: 120_000 }, async () => {
    const result = await ledger(['collect', 'all'], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^No cloud credentials or endpoints are configured: started the local provider server/);
    const money = String.raw`\d+(\.\d+)?`;
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(`^aws-costs +ok +rows=\\d+ pages=\\d+ \\d+\\.\\d s BilledCost USD ${money} EffectiveCost USD ${money}$`),
      ),
      expect.stringMatching(
        new RegExp(`^azure-costs +ok +rows=\\d+ pages=\\d+ \\d+\\.\\d s BilledCost USD ${money} EffectiveCost USD ${money}$`),
      ),
      expect.stringMatching(
        new RegExp(`^gcp-costs +ok +rows=\\d+ pages=\\d+ \\d+\\.\\d s BilledCost USD ${money} EffectiveCost USD ${money}$`),
      ),
      expect.stringMatching(/^aws-prices +ok +rows=\d+ pages=\d+ \d+\.\d s$/),
      expect.stringMatching(/^azure-prices +ok +rows=\d+ pages=\d+ \d+\.\d s$/),
      expect.stringMatching(/^gcp-prices +ok +rows=\d+ pages=\d+ \d+\.\d s$/),
      expect.stringMatching(/^aws-capacity +ok +rows=65 pages=\d+ \d+\.\d s$/),
    ]);
  });

  it('collects a given period into the store npm start uses, where the API shows the runs', { timeout: 120_000 }, async () => {
    // Five days ago: a whole simulated day (5 instances, the reserved instance's fee, the S3 line).
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 5 * 86_400_000;
    const result = await ledger(['collect', 'aws-costs', '--from', isoDay(day), '--to', isoDay(day + 86_400_000)], env());
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^aws-costs +ok +rows=7 pages=\d+ /);

    const runtime = await startTestLedger({ tableName: 'cli-collect' });
    try {
      const api = apiClient(runtime);
      const runs = (await api('GET', '/v1/collector-runs?collector=aws-costs&limit=1')).body.runs as CollectorRun[];
      expect(runs[0]).toMatchObject({ status: 'ok', rows: 7, periodStart: isoDay(day), periodEnd: isoDay(day + 86_400_000) });
      const costs = await api('GET', `/v1/costs?from=${isoDay(day)}&to=${isoDay(day + 86_400_000)}&provider=aws&groupBy=ResourceId`);
      // The on-demand p5.48xlarge: 55.04 $/h × 24 h.
      expect(costs.body.groups.find((g: { key: string }) => g.key === 'i-0a1b2c3d4e5f60001')).toMatchObject({
        billedCost: '1320.96',
        effectiveCost: '1320.96',
      });
      expect(costs.body.totals[0]).toMatchObject({ billedCost: runs[0]!.totals![0]!.billedCost, records: 7 });
    } finally {
      await runtime.stop();
    }
  });

  it('refuses an unknown target and a bad period with the usage', async () => {
    const unknown = await ledger(['collect', 'everything'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('collect needs one of aws-costs, azure-costs, gcp-costs, prices, capacity, all');
    expect(unknown.stderr).toContain(
      'usage: ledger collect <aws-costs|azure-costs|gcp-costs|prices|capacity|all> [--from YYYY-MM-DD --to YYYY-MM-DD]',
    );
    const reversed = await ledger(['collect', 'aws-costs', '--from', '2026-11-02', '--to', '2026-11-01'], env());
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toContain('--from: must be before to');
  });
});
