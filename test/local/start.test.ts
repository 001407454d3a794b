import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');
const scratch = mkdtempSync(join(tmpdir(), 'ledger-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [tsx, ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('npm start -- --once', () => {
  it(
    'posts the simulated fleet through the API, collects from the local provider server, prints the summaries and exits 0',
    { timeout: 120_000 },
    async () => {
      const result = await run(['local/start.ts', '--once', '--hosts', '3', '--gpus', '4', '--minutes', '30'], {
        PORT: '0',
        LEDGER_DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
        LEDGER_TABLE_NAME: 'start-once',
        LEDGER_STATE_DIR: join(scratch, 'state'),
        LEDGER_DEV_TOKEN: 'once-token-0123456789',
        // Whatever cloud credentials this machine has, --once collects from the simulated organization.
        LEDGER_LOCAL_PROVIDERS: 'on',
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Compute Ledger is running on http:\/\/127\.0\.0\.1:\d+/);
      expect(result.stdout).toContain('Token (all scopes): once-token-0123456789');
      expect(result.stdout).toContain('curl -s -H "Authorization: Bearer once-token-0123456789"');
      expect(result.stdout).toContain('Simulated fleet: 3 hosts x 4 GPUs posted 2160 samples for the last 30 minutes');
      const total = result.stdout.split('\n').find((line) => line.startsWith('TOTAL'));
      // 12 GPUs for 30 minutes are 6 paid GPU-hours.
      // The inference host holds a notebook on 2 of its GPUs, idle with memory in use: 2 × 0.5 h idle-held.
      expect(total).toMatch(/^TOTAL\s+12\s+6\.00\s+\d+\.\d\d\s+\d+\.\d%\s+1\.00\s+sm_active/);
      expect(result.stdout).toMatch(/gpu-train-01\s+training\s+4\s+2\.00/);

      // Every collector ran once against the local provider server.
      expect(result.stdout).toMatch(
        /Collectors: using the local provider server, a simulated organization with costs from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}/,
      );
      for (const collector of ['aws-costs', 'azure-costs', 'gcp-costs', 'aws-prices', 'azure-prices', 'gcp-prices', 'aws-capacity']) {
        expect(result.stdout).toMatch(new RegExp(`^  ${collector} +ok +rows=[1-9]\\d* pages=[1-9]\\d* `, 'm'));
      }
      // Spend by month, provider and service, then in total.
      const spend = result.stdout.slice(result.stdout.indexOf('Spend by provider and service'));
      expect(spend).toMatch(/^\d{4}-\d{2} +AWS +Amazon Elastic Compute Cloud - Compute +USD +\d+\.\d{2} +\d+\.\d{2}$/m);
      expect(spend).toMatch(/^\d{4}-\d{2} +Azure +Virtual Machines +USD +\d+\.\d{2} +\d+\.\d{2}$/m);
      expect(spend).toMatch(/^\d{4}-\d{2} +Google Cloud +Compute Engine +USD +\d+\.\d{2} +\d+\.\d{2}$/m);
      expect(spend).toMatch(/^all months +all +all +USD +\d+\.\d{2} +\d+\.\d{2}$/m);
      // GPU prices per GPU-hour: p5.48xlarge on demand is 55.04 / 8; Azure's ND96isr H100 v5 98.32 / 8; GCP's H100 SKU.
      expect(result.stdout).toMatch(/^H100 +AWS +on-demand +USD +\d+ +6\.8800 +6\.8800 +6\.8800 /m);
      expect(result.stdout).toMatch(/^H100 +Azure +on-demand +USD +\d+ +12\.2900 /m);
      expect(result.stdout).toMatch(/^H100 +Google Cloud +on-demand +USD +\d+ +9\.7966 /m);
      expect(result.stdout).toMatch(/^H100 +AWS +spot +USD /m);

      // Then the analysis state machine for today, and the digest: printed as text and written with its chart.
      expect(result.stdout).toContain('Analysis (local state machine): SUCCEEDED');
      const today = new Date().toISOString().slice(0, 10);
      expect(result.stdout).toMatch(new RegExp(`^Compute Ledger digest for ${today} \\(compared with \\d{4}-\\d{2}-\\d{2}\\)$`, 'm'));
      expect(result.stdout).toMatch(/^Total spend: \$[\d,]+\.\d\d/m);
      expect(result.stdout).toMatch(/^ {2}AWS +\$[\d,]+\.\d\d/m);
      const html = readFileSync(join(scratch, 'state', 'digests', `${today}.html`), 'utf8');
      expect(html).toContain(`<img src="${today}.png"`);
      expect(
        readFileSync(join(scratch, 'state', 'digests', `${today}.png`))
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    },
  );

  it('says clearly that Java is missing when it must start the embedded DynamoDB', async () => {
    const bin = join(scratch, 'bin');
    rmSync(bin, { recursive: true, force: true });
    mkdtempSync(join(scratch, 'x'));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const env = { PATH: bin, PORT: '0', LEDGER_STATE_DIR: join(scratch, 'nojava'), LEDGER_DYNAMODB_ENDPOINT: '' };
    const result = await run(['local/start.ts', '--once'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Java was not found on PATH');
    expect(result.stderr).toContain('LEDGER_DYNAMODB_ENDPOINT');
  });
});

describe('ledger CLI', () => {
  it('creates, lists and revokes tokens, showing the secret once', async () => {
    const env = {
      LEDGER_DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
      LEDGER_TABLE_NAME: 'cli-tokens',
      LEDGER_STATE_DIR: join(scratch, 'cli'),
    };
    const created = await run(['local/cli.ts', 'tokens', 'create', '--name', 'agents', '--scopes', 'ingest'], env);
    expect(created.code).toBe(0);
    const [, keyId] = /Created token ([0-9a-f]{16}) \(agents; scopes ingest\)/.exec(created.stdout) ?? [];
    expect(keyId).toBeDefined();
    const secret = created.stdout.trim().split('\n').at(-1)!;
    expect(secret).toMatch(/^cl_/);

    const listed = await run(['local/cli.ts', 'tokens', 'list'], env);
    expect(listed.stdout).toMatch(new RegExp(`${keyId}\\s+agents\\s+ingest\\s+\\S+\\s+-`));
    expect(listed.stdout).not.toContain(secret);

    expect((await run(['local/cli.ts', 'tokens', 'revoke', keyId!], env)).stdout).toContain(`Revoked ${keyId}`);
    expect((await run(['local/cli.ts', 'tokens', 'list'], env)).stdout).not.toMatch(new RegExp(`${keyId}.*\\s-$`, 'm'));

    const bad = await run(['local/cli.ts', 'tokens', 'create', '--name', 'x', '--scopes', 'root'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--scopes: unknown scope root');
  });
});

describe('npm start, stopped with Ctrl-C', () => {
  it('stops the embedded DynamoDB and the API, and exits 0', async () => {
    const child = spawn(process.execPath, [tsx, 'local/start.ts', '--hosts', '1', '--gpus', '1', '--minutes', '2'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: '0',
        LEDGER_STATE_DIR: join(scratch, 'sigint'),
        LEDGER_DYNAMODB_ENDPOINT: '',
        LEDGER_TABLE_NAME: 'sigint',
      },
    });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const deadline = Date.now() + 90_000;
    while (!stdout.includes('Press Ctrl-C to stop.') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const api = /running on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
    const dynamo = /DynamoDB at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
    expect((await fetch(`${api}/v1/health`)).status).toBe(200);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const url of [api, dynamo]) await expect(fetch(url), url).rejects.toThrow();
  });
});
