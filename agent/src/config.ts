/**
 * The agent's one configuration reader. Sources, strongest first: command-line flags, environment, JSON config file
 * (`--config` / LEDGER_AGENT_CONFIG), defaults. Every option has a flag `--kebab-name`, an environment variable
 * `LEDGER_AGENT_SNAKE_NAME` (except LEDGER_URL and LEDGER_TOKEN) and a camelCase key in the file.
 */
import fs from 'node:fs';
import type { LogLevel } from './log.js';
import type { Provider } from './wire.js';
import { MAX_COMPRESSED_BATCH_BYTES, MAX_SAMPLES_PER_BATCH } from './wire.js';

export type SourceMode = 'auto' | 'dcgm' | 'nvidia-smi';
export type GpmMode = 'auto' | 'off';

export interface AgentConfig {
  url: string;
  token: string;
  hostId?: string;
  pool?: string;
  labels: Record<string, string>;
  provider: Provider | 'auto' | 'none';
  instanceId?: string;
  instanceType?: string;
  region?: string;
  source: SourceMode;
  nvidiaSmiPath: string;
  /** Empty string disables the dcgm-exporter source. */
  dcgmUrl: string;
  inferenceUrls: string[];
  gpm: GpmMode;
  gpmIntervalSeconds: number;
  jobMappingDir?: string;
  jobEnvFile?: string;
  pollIntervalMs: number;
  flushIntervalMs: number;
  scrapeTimeoutMs: number;
  requestTimeoutMs: number;
  metadataTimeoutMs: number;
  awsMetadataUrl: string;
  azureMetadataUrl: string;
  gcpMetadataUrl: string;
  spoolDir: string;
  spoolMaxBytes: number;
  spoolMaxBatches: number;
  retryInitialMs: number;
  retryMaxMs: number;
  maxSamplesPerBatch: number;
  maxBatchBytes: number;
  once: boolean;
  oncePolls: number;
  onceIntervalMs: number;
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
}

type Kind = 'string' | 'seconds' | 'int' | 'bool' | 'list' | 'map' | 'enum';

interface OptionSpec {
  /** Key in the JSON file; the flag and environment names derive from it. */
  key: string;
  kind: Kind;
  describe: string;
  default?: string | number | boolean | string[] | Record<string, string>;
  env?: string;
  values?: readonly string[];
  /** Where it lands in AgentConfig (seconds options are stored in ms). */
  target: keyof AgentConfig;
  min?: number;
  max?: number;
}

const defaultSpoolDir = `${process.env.STATE_DIRECTORY?.split(':')[0] ?? '/var/lib/compute-ledger-agent'}/spool`;

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'url',
    env: 'LEDGER_URL',
    kind: 'string',
    target: 'url',
    describe: 'Compute Ledger base URL (the agent POSTs to {url}/v1/measurements)',
  },
  {
    key: 'token',
    env: 'LEDGER_TOKEN',
    kind: 'string',
    target: 'token',
    describe: 'Ingest bearer token (prefer the environment or tokenFile over a flag: flags show in ps)',
  },
  { key: 'tokenFile', kind: 'string', target: 'token', describe: 'Read the token from this file (e.g. a mounted Kubernetes secret)' },
  { key: 'hostId', kind: 'string', target: 'hostId', describe: 'Stable host id (default: the hostname)' },
  { key: 'pool', kind: 'string', target: 'pool', describe: 'Pool / cluster name this host belongs to' },
  { key: 'labels', kind: 'map', target: 'labels', default: {}, describe: 'Host labels, k=v,k2=v2 (flag may repeat)' },
  {
    key: 'provider',
    kind: 'enum',
    target: 'provider',
    default: 'auto',
    values: ['auto', 'none', 'aws', 'azure', 'gcp', 'onprem', 'other'],
    describe: 'Cloud provider: auto probes the metadata services; none skips them',
  },
  { key: 'instanceId', kind: 'string', target: 'instanceId', describe: 'Override the instance id from the metadata service' },
  { key: 'instanceType', kind: 'string', target: 'instanceType', describe: 'Override the instance type from the metadata service' },
  { key: 'region', kind: 'string', target: 'region', describe: 'Override the region from the metadata service' },
  {
    key: 'source',
    kind: 'enum',
    target: 'source',
    default: 'auto',
    values: ['auto', 'dcgm', 'nvidia-smi'],
    describe: 'GPU source: auto prefers dcgm-exporter and falls back to nvidia-smi',
  },
  {
    key: 'nvidiaSmiPath',
    kind: 'string',
    target: 'nvidiaSmiPath',
    default: 'nvidia-smi',
    describe: 'nvidia-smi executable (looked up on PATH)',
  },
  {
    key: 'dcgmUrl',
    kind: 'string',
    target: 'dcgmUrl',
    default: 'http://127.0.0.1:9400/metrics',
    describe: 'dcgm-exporter metrics URL; empty disables it',
  },
  {
    key: 'gpm',
    kind: 'enum',
    target: 'gpm',
    default: 'auto',
    values: ['auto', 'off'],
    describe:
      'GPM metrics (SM active, tensor active, …) from one long-lived nvidia-smi dmon --gpm-metrics on the nvidia-smi path (Hopper and newer); off disables it',
  },
  {
    key: 'gpmIntervalSeconds',
    kind: 'int',
    target: 'gpmIntervalSeconds',
    default: 1,
    min: 1,
    max: 3600,
    describe: 'Sampling interval of nvidia-smi dmon (-d), whole seconds',
  },
  {
    key: 'jobMappingDir',
    kind: 'string',
    target: 'jobMappingDir',
    describe:
      'Job mapping directory: one file per GPU index whose first non-empty line is the job id (the format of dcgm-exporter --hpc-job-mapping-dir)',
  },
  {
    key: 'jobEnvFile',
    kind: 'string',
    target: 'jobEnvFile',
    describe:
      'Job environment file (KEY=VALUE): LEDGER_JOB_ID or SLURM_JOB_ID, LEDGER_JOB_EPOCH, LEDGER_JOB_GPUS / SLURM_JOB_GPUS / CUDA_VISIBLE_DEVICES',
  },
  {
    key: 'inferenceUrls',
    kind: 'list',
    target: 'inferenceUrls',
    default: [],
    describe: 'Inference server (vLLM) /metrics URLs, comma-separated (flag may repeat)',
  },
  {
    key: 'pollIntervalSeconds',
    kind: 'seconds',
    target: 'pollIntervalMs',
    default: 10,
    min: 0.01,
    describe: 'Seconds between polls of the GPU sources',
  },
  {
    key: 'flushIntervalSeconds',
    kind: 'seconds',
    target: 'flushIntervalMs',
    default: 60,
    min: 0.01,
    describe: 'Seconds between batches sent',
  },
  {
    key: 'scrapeTimeoutSeconds',
    kind: 'seconds',
    target: 'scrapeTimeoutMs',
    default: 5,
    min: 0.01,
    describe: 'Timeout for nvidia-smi and each scrape',
  },
  {
    key: 'requestTimeoutSeconds',
    kind: 'seconds',
    target: 'requestTimeoutMs',
    default: 30,
    min: 0.01,
    describe: 'Timeout for one POST to the ledger',
  },
  {
    key: 'metadataTimeoutSeconds',
    kind: 'seconds',
    target: 'metadataTimeoutMs',
    default: 0.3,
    min: 0.01,
    describe: 'Timeout for each cloud metadata request',
  },
  { key: 'awsMetadataUrl', kind: 'string', target: 'awsMetadataUrl', default: 'http://169.254.169.254', describe: 'AWS IMDS base URL' },
  {
    key: 'azureMetadataUrl',
    kind: 'string',
    target: 'azureMetadataUrl',
    default: 'http://169.254.169.254',
    describe: 'Azure IMDS base URL',
  },
  {
    key: 'gcpMetadataUrl',
    kind: 'string',
    target: 'gcpMetadataUrl',
    default: 'http://169.254.169.254',
    describe: 'GCE metadata server base URL',
  },
  { key: 'spoolDir', kind: 'string', target: 'spoolDir', default: defaultSpoolDir, describe: 'Directory for batches not yet delivered' },
  {
    key: 'spoolMaxBytes',
    kind: 'int',
    target: 'spoolMaxBytes',
    default: 256 * 1024 * 1024,
    min: 1024,
    describe: 'Spool bound in bytes; the oldest batches are dropped first',
  },
  {
    key: 'spoolMaxBatches',
    kind: 'int',
    target: 'spoolMaxBatches',
    default: 10_000,
    min: 1,
    describe: 'Spool bound in batches; the oldest batches are dropped first',
  },
  {
    key: 'retryInitialSeconds',
    kind: 'seconds',
    target: 'retryInitialMs',
    default: 1,
    min: 0.001,
    describe: 'First retry delay (doubles per failure, with jitter)',
  },
  { key: 'retryMaxSeconds', kind: 'seconds', target: 'retryMaxMs', default: 300, min: 0.001, describe: 'Longest retry delay' },
  {
    key: 'maxSamplesPerBatch',
    kind: 'int',
    target: 'maxSamplesPerBatch',
    default: MAX_SAMPLES_PER_BATCH,
    min: 1,
    max: MAX_SAMPLES_PER_BATCH,
    describe: 'Samples per batch (server limit 10000)',
  },
  {
    key: 'maxBatchBytes',
    kind: 'int',
    target: 'maxBatchBytes',
    default: MAX_COMPRESSED_BATCH_BYTES,
    min: 1024,
    max: MAX_COMPRESSED_BATCH_BYTES,
    describe: 'Compressed bytes per batch (server limit 1 MiB)',
  },
  {
    key: 'once',
    kind: 'bool',
    target: 'once',
    default: false,
    describe: 'Collect one batch, send it, exit 0 on success and non-zero on failure',
  },
  { key: 'oncePolls', kind: 'int', target: 'oncePolls', default: 1, min: 1, max: 1000, describe: 'Polls taken with --once' },
  {
    key: 'onceIntervalSeconds',
    kind: 'seconds',
    target: 'onceIntervalMs',
    default: 1,
    min: 0,
    describe: 'Seconds between polls with --once',
  },
  {
    key: 'shutdownTimeoutSeconds',
    kind: 'seconds',
    target: 'shutdownTimeoutMs',
    default: 10,
    min: 0.01,
    describe: 'Longest time the final flush may take on SIGTERM/SIGINT',
  },
  { key: 'logLevel', kind: 'enum', target: 'logLevel', default: 'info', values: ['debug', 'info', 'warn', 'error'], describe: 'Log level' },
];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function envName(spec: OptionSpec): string {
  return spec.env ?? `LEDGER_AGENT_${spec.key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function flagName(spec: OptionSpec): string {
  return `--${kebab(spec.key)}`;
}

export function envVariable(spec: OptionSpec): string {
  return envName(spec);
}

/** Raw values from one source, by option key. Strings from flags/env; JSON values from the file. */
type RawValues = Map<string, unknown>;

export interface ParsedArgs {
  values: RawValues;
  configPath?: string;
  help: boolean;
  version: boolean;
}

const BY_FLAG = new Map(OPTIONS.map((o) => [flagName(o), o]));

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values: RawValues = new Map();
  let configPath: string | undefined;
  let help = false;
  let version = false;
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--version') {
      version = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (flag === '--config') {
      configPath = inline ?? argv[++i];
      if (!configPath) problems.push('--config needs a file path');
      continue;
    }
    const aliases: Record<string, string> = { '--label': '--labels', '--inference-url': '--inference-urls' };
    const spec = BY_FLAG.get(aliases[flag] ?? flag);
    if (!spec) {
      problems.push(`unknown option ${flag}`);
      continue;
    }
    if (spec.kind === 'bool' && inline === undefined) inline = 'true';
    if (inline === undefined) {
      inline = argv[i + 1];
      if (inline === undefined || inline.startsWith('--')) {
        problems.push(`${flag} needs a value`);
        continue;
      }
      i++;
    }
    if (spec.kind === 'list' || spec.kind === 'map') {
      const prior = values.get(spec.key);
      values.set(spec.key, prior === undefined ? inline : `${String(prior)},${inline}`);
    } else {
      values.set(spec.key, inline);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { values, configPath, help, version };
}

function readEnv(env: NodeJS.ProcessEnv): RawValues {
  const values: RawValues = new Map();
  for (const spec of OPTIONS) {
    const value = env[envName(spec)];
    if (value !== undefined && value !== '') values.set(spec.key, value);
    // An explicitly empty dcgm URL disables the exporter source.
    if (value === '' && spec.key === 'dcgmUrl') values.set(spec.key, '');
  }
  return values;
}

function readFile(path: string, problems: string[]): RawValues {
  const values: RawValues = new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (err) {
    problems.push(`cannot read config file ${path}: ${(err as Error).message}`);
    return values;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`config file ${path} must hold a JSON object`);
    return values;
  }
  const known = new Set(OPTIONS.map((o) => o.key));
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) problems.push(`unknown key "${key}" in config file ${path}`);
    else values.set(key, value);
  }
  return values;
}

function splitList(value: unknown): string[] | undefined {
  if (Array.isArray(value))
    return value
      .map(String)
      .map((s) => s.trim())
      .filter(Boolean);
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return undefined;
}

function toMap(value: unknown, problems: string[], name: string): Record<string, string> | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  }
  const list = splitList(value);
  if (!list) {
    problems.push(`${name} must be k=v pairs`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const pair of list) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      problems.push(`${name}: "${pair}" is not k=v`);
      continue;
    }
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

function convert(spec: OptionSpec, value: unknown, problems: string[]): unknown {
  const name = spec.key;
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string') {
        problems.push(`${name} must be a string`);
        return undefined;
      }
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values!.includes(value)) {
        problems.push(`${name} must be one of ${spec.values!.join(', ')}`);
        return undefined;
      }
      return value;
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(1|true|yes|on)$/i.test(value)) return true;
      if (typeof value === 'string' && /^(0|false|no|off)$/i.test(value)) return false;
      problems.push(`${name} must be true or false`);
      return undefined;
    case 'int':
    case 'seconds': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n) || (spec.kind === 'int' && !Number.isInteger(n))) {
        problems.push(`${name} must be ${spec.kind === 'int' ? 'an integer' : 'a number of seconds'}`);
        return undefined;
      }
      if (spec.min !== undefined && n < spec.min) problems.push(`${name} must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) problems.push(`${name} must be at most ${spec.max}`);
      return spec.kind === 'seconds' ? Math.round(n * 1000) : n;
    }
    case 'list': {
      const list = splitList(value);
      if (!list) problems.push(`${name} must be a list`);
      return list;
    }
    case 'map':
      return toMap(value, problems, name);
  }
}

export interface LoadConfigInput {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
}

export type LoadedConfig =
  | { kind: 'run'; config: AgentConfig; sources: Record<string, 'flag' | 'env' | 'file' | 'default'> }
  | { kind: 'help' }
  | { kind: 'version' };

/** Merge flags over environment over file over defaults, then validate. Throws ConfigError listing every problem. */
export function loadConfig({ argv, env }: LoadConfigInput): LoadedConfig {
  const args = parseArgs(argv);
  if (args.help) return { kind: 'help' };
  if (args.version) return { kind: 'version' };
  const problems: string[] = [];
  const envValues = readEnv(env);
  const configPath = args.configPath ?? env.LEDGER_AGENT_CONFIG;
  const fileValues = configPath ? readFile(configPath, problems) : new Map<string, unknown>();
  const config: Record<string, unknown> = {};
  const sources: Record<string, 'flag' | 'env' | 'file' | 'default'> = {};
  for (const spec of OPTIONS) {
    let raw: unknown;
    let source: 'flag' | 'env' | 'file' | 'default' = 'default';
    if (args.values.has(spec.key)) [raw, source] = [args.values.get(spec.key), 'flag'];
    else if (envValues.has(spec.key)) [raw, source] = [envValues.get(spec.key), 'env'];
    else if (fileValues.has(spec.key)) [raw, source] = [fileValues.get(spec.key), 'file'];
    if (raw === undefined) {
      if (spec.default !== undefined && config[spec.target] === undefined) {
        config[spec.target] = spec.kind === 'seconds' ? Math.round((spec.default as number) * 1000) : spec.default;
        sources[spec.key] = 'default';
      }
      continue;
    }
    const value = convert(spec, raw, problems);
    if (value === undefined) continue;
    sources[spec.key] = source;
    if (spec.key === 'tokenFile') {
      // An explicit token from a stronger or equal source wins over the file.
      const tokenSource = sources.token;
      if (tokenSource && rank(tokenSource) >= rank(source)) continue;
      try {
        config.token = fs.readFileSync(value as string, 'utf8').trim();
        sources.token = source;
      } catch (err) {
        problems.push(`cannot read tokenFile: ${(err as Error).message}`);
      }
      continue;
    }
    config[spec.target] = value;
  }
  const c = config as unknown as AgentConfig;
  if (!c.url) problems.push('url is required (--url or LEDGER_URL)');
  else if (!/^https?:\/\/[^/\s]+/i.test(c.url)) problems.push('url must be an http(s) URL');
  if (!c.token) problems.push('token is required (LEDGER_TOKEN, --token-file or --token)');
  if (c.dcgmUrl && !/^https?:\/\//i.test(c.dcgmUrl)) problems.push('dcgmUrl must be an http(s) URL or empty');
  for (const u of c.inferenceUrls ?? []) if (!/^https?:\/\//i.test(u)) problems.push(`inference URL ${u} must be http(s)`);
  if (c.retryMaxMs < c.retryInitialMs) problems.push('retryMaxSeconds must be at least retryInitialSeconds');
  if (c.source === 'dcgm' && !c.dcgmUrl) problems.push('source dcgm needs a dcgmUrl');
  if (problems.length > 0) throw new ConfigError(problems);
  c.url = c.url.replace(/\/+$/, '');
  return { kind: 'run', config: c, sources };
}

function rank(source: 'flag' | 'env' | 'file' | 'default'): number {
  return { default: 0, file: 1, env: 2, flag: 3 }[source];
}

export function helpText(): string {
  const lines = [
    'compute-ledger-agent: reports GPU measurements from this host to Compute Ledger.',
    '',
    'Usage: compute-ledger-agent [--config file.json] [options]',
    '',
    'Each option: --flag, ENVIRONMENT_VARIABLE, "fileKey" (default). Flags override the environment, which overrides the file.',
    '',
  ];
  for (const spec of OPTIONS) {
    const def = spec.default === undefined ? '' : ` (default ${JSON.stringify(spec.default)})`;
    lines.push(`  ${flagName(spec)}  ${envName(spec)}  "${spec.key}"${def}`);
    lines.push(`      ${spec.describe}`);
  }
  lines.push('  --config FILE  LEDGER_AGENT_CONFIG', '      JSON config file with the keys above');
  return `${lines.join('\n')}\n`;
}
