import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, helpText, loadConfig, OPTIONS, envVariable, flagName } from './config.js';

function configFile(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-config-'));
  const file = path.join(dir, 'agent.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const loaded = loadConfig({ argv, env });
  if (loaded.kind !== 'run') throw new Error('expected a run config');
  return loaded;
}

describe('loadConfig', () => {
  it('applies defaults', () => {
    const { config } = run([], { LEDGER_URL: 'https://ledger.example.com/', LEDGER_TOKEN: 'tok-123456' });
    expect(config).toMatchObject({
      url: 'https://ledger.example.com',
      token: 'tok-123456',
      pollIntervalMs: 10_000,
      flushIntervalMs: 60_000,
      dcgmUrl: 'http://127.0.0.1:9400/metrics',
      source: 'auto',
      nvidiaSmiPath: 'nvidia-smi',
      metadataTimeoutMs: 300,
      maxSamplesPerBatch: 10_000,
      maxBatchBytes: 1024 * 1024,
      once: false,
      labels: {},
      inferenceUrls: [],
      gpm: 'auto',
      gpmIntervalSeconds: 1,
    });
    expect(config.jobMappingDir).toBeUndefined();
    expect(config.jobEnvFile).toBeUndefined();
  });

  it('GPM and job options: flag, environment, file', () => {
    const file = configFile({ url: 'http://x', token: 't0k3n', jobEnvFile: '/run/slurm/job.env' });
    const { config } = run(['--config', file, '--gpm', 'off', '--job-mapping-dir', '/run/dcgm-job-map'], {
      LEDGER_AGENT_GPM_INTERVAL_SECONDS: '2',
    });
    expect(config).toMatchObject({
      gpm: 'off',
      gpmIntervalSeconds: 2,
      jobMappingDir: '/run/dcgm-job-map',
      jobEnvFile: '/run/slurm/job.env',
    });
    try {
      loadConfig({ argv: ['--gpm', 'on', '--gpm-interval-seconds', '0.5'], env: { LEDGER_URL: 'http://x', LEDGER_TOKEN: 't0k3n' } });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual(['gpm must be one of auto, off', 'gpmIntervalSeconds must be an integer']);
    }
  });

  it('flags override environment, which overrides the file', () => {
    const file = configFile({
      url: 'http://file',
      token: 'file-token',
      pollIntervalSeconds: 5,
      flushIntervalSeconds: 30,
      pool: 'file-pool',
      labels: { team: 'ml' },
    });
    const { config, sources } = run(['--config', file, '--poll-interval-seconds', '2.5', '--label', 'env=prod', '--label', 'az=a'], {
      LEDGER_URL: 'http://env',
      LEDGER_AGENT_POLL_INTERVAL_SECONDS: '7',
      LEDGER_AGENT_POOL: 'env-pool',
    });
    expect(config.url).toBe('http://env');
    expect(config.token).toBe('file-token');
    expect(config.pollIntervalMs).toBe(2500);
    expect(config.flushIntervalMs).toBe(30_000);
    expect(config.pool).toBe('env-pool');
    expect(config.labels).toEqual({ env: 'prod', az: 'a' });
    expect(sources).toMatchObject({ url: 'env', token: 'file', pollIntervalSeconds: 'flag', flushIntervalSeconds: 'file', pool: 'env' });
  });

  it('reads the token from a file unless a stronger source sets it', () => {
    const tokenFile = configFile('secret-from-file\n');
    expect(run(['--url', 'http://x', '--token-file', tokenFile]).config.token).toBe('secret-from-file');
    expect(run(['--url', 'http://x', '--token-file', tokenFile], { LEDGER_TOKEN: 'from-env' }).config.token).toBe('secret-from-file');
    expect(run(['--url', 'http://x', '--token', 'flag-token'], { LEDGER_AGENT_TOKEN_FILE: tokenFile }).config.token).toBe('flag-token');
  });

  it('an empty LEDGER_AGENT_DCGM_URL disables dcgm-exporter; lists accept commas and repeats', () => {
    const { config } = run(['--inference-url', 'http://a/metrics', '--inference-url', 'http://b/metrics,http://c/metrics', '--once'], {
      LEDGER_URL: 'http://x',
      LEDGER_TOKEN: 't0k3n',
      LEDGER_AGENT_DCGM_URL: '',
    });
    expect(config.dcgmUrl).toBe('');
    expect(config.inferenceUrls).toEqual(['http://a/metrics', 'http://b/metrics', 'http://c/metrics']);
    expect(config.once).toBe(true);
  });

  it('reports every problem at once', () => {
    try {
      loadConfig({ argv: ['--poll-interval-seconds', 'soon', '--source', 'magic', '--bogus'], env: {} });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual(['unknown option --bogus']);
    }
    try {
      loadConfig({ argv: ['--poll-interval-seconds', 'soon', '--source', 'magic', '--max-samples-per-batch', '20000'], env: {} });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'source must be one of auto, dcgm, nvidia-smi',
        'pollIntervalSeconds must be a number of seconds',
        'maxSamplesPerBatch must be at most 10000',
        'url is required (--url or LEDGER_URL)',
        'token is required (LEDGER_TOKEN, --token-file or --token)',
      ]);
    }
    expect(() => loadConfig({ argv: ['--config', configFile({ url: 'http://x', token: 'abcd', colour: 'red' })], env: {} })).toThrow(
      'unknown key "colour"',
    );
  });

  it('help lists every option with its flag and environment variable', () => {
    expect(loadConfig({ argv: ['--help'], env: {} })).toEqual({ kind: 'help' });
    const help = helpText();
    for (const o of OPTIONS) {
      expect(help).toContain(flagName(o));
      expect(help).toContain(envVariable(o));
    }
    expect(envVariable(OPTIONS.find((o) => o.key === 'spoolMaxBytes')!)).toBe('LEDGER_AGENT_SPOOL_MAX_BYTES');
  });
});
