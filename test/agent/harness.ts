/**
 * Test harness for the GPU host agent: a fake `nvidia-smi` on PATH, fake dcgm-exporter / vLLM metrics pages, fake cloud
 * metadata services, a recording server that implements the ingest contract of `POST /v1/measurements`, and a runner
 * for the REAL agent (the built bundle, or the TypeScript source) as a child process.
 *
 * Meant for reuse: an end-to-end test against the real local runtime can start the fake GPU sources here and point
 * `runAgent` at the runtime's URL instead of `startIngestServer()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { agentBundlePath, buildAgent } from '../../agent/build.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const AGENT_FIXTURES_DIR = path.join(repoRoot, 'agent', 'fixtures');

export function agentFixture(name: string): string {
  return fs.readFileSync(path.join(AGENT_FIXTURES_DIR, name), 'utf8');
}

export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 15_000, intervalMs = 25, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function tempDir(prefix = 'ledger-agent-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------------------------------
// Fake nvidia-smi
// ---------------------------------------------------------------------------------------------------------------------

export interface FakeNvidiaSmi {
  /** Directory holding the `nvidia-smi` executable: put it first on PATH. */
  binDir: string;
  /** PATH with binDir first. */
  path: string;
  /** Replace what the next invocations print. `{{seq}}` in the text becomes the invocation number (1, 2, …). */
  setOutput(text: string): void;
  setFixture(name: string): void;
  /** Exit status of the next invocations (a GPU lost makes nvidia-smi exit non-zero while printing the others). */
  setExitCode(code: number): void;
  /** Output and exit status switched together, in one atomic write. */
  set(state: { output?: string; fixture?: string; exitCode?: number }): void;
  /** Arguments of every invocation so far. */
  calls(): string[];
  callCount(): number;
  cleanup(): void;
}

/**
 * A `nvidia-smi` shell script that prints the current state file: its first line is the exit status, the rest the
 * output. The state can also be switched from outside the test process by pointing FAKE_NVIDIA_SMI_STATE_FILE at
 * another file of the same shape.
 */
export function startFakeNvidiaSmi(initial: { fixture?: string; output?: string; exitCode?: number } = {}): FakeNvidiaSmi {
  const dir = tempDir('fake-nvidia-smi-');
  const binDir = path.join(dir, 'bin');
  fs.mkdirSync(binDir);
  const script = [
    '#!/bin/sh',
    `D='${dir}'`,
    'S="${FAKE_NVIDIA_SMI_STATE_FILE:-$D/state}"',
    'printf "%s\\n" "$*" >> "$D/calls.log"',
    'n=$(( $(cat "$D/count" 2>/dev/null || echo 0) + 1 ))',
    'echo "$n" > "$D/count"',
    // Read the state once, so that a switch between reading the status and the output cannot mix two states.
    'state=$(cat "$S"; echo x)',
    'code=$(printf "%s" "$state" | head -n 1)',
    'printf "%s" "${state%x}" | tail -n +2 | sed "s/{{seq}}/$n/g"',
    'exit "$code"',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(binDir, 'nvidia-smi'), script, { mode: 0o755 });
  let output = initial.output ?? (initial.fixture ? agentFixture(initial.fixture) : '');
  let exitCode = initial.exitCode ?? 0;
  const write = () => {
    const file = path.join(dir, 'state');
    fs.writeFileSync(`${file}.tmp`, `${exitCode}\n${output}`);
    fs.renameSync(`${file}.tmp`, file);
  };
  const fake: FakeNvidiaSmi = {
    binDir,
    path: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`,
    set(state) {
      if (state.output !== undefined) output = state.output;
      if (state.fixture !== undefined) output = agentFixture(state.fixture);
      if (state.exitCode !== undefined) exitCode = state.exitCode;
      write();
    },
    setOutput: (text) => fake.set({ output: text }),
    setFixture: (name) => fake.set({ fixture: name }),
    setExitCode: (code) => fake.set({ exitCode: code }),
    calls: () => {
      try {
        return fs.readFileSync(path.join(dir, 'calls.log'), 'utf8').split('\n').slice(0, -1);
      } catch {
        return [];
      }
    },
    callCount: () => fake.calls().length,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  write();
  return fake;
}

// ---------------------------------------------------------------------------------------------------------------------
// Fake metrics pages (dcgm-exporter, vLLM)
// ---------------------------------------------------------------------------------------------------------------------

export interface FakeMetricsServer {
  /** Full URL of the metrics page, e.g. http://127.0.0.1:40123/metrics */
  url: string;
  setText(text: string): void;
  setFixture(name: string): void;
  /** Answer with this status (e.g. 503) instead of the page. */
  setStatus(status: number): void;
  requestCount(): number;
  close(): Promise<void>;
}

async function listen(server: http.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function trackSockets(server: http.Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

async function closeServer(server: http.Server, sockets: Set<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const s of sockets) s.destroy();
  await closed;
}

/** Serves Prometheus text at /metrics like dcgm-exporter and vLLM do (`text/plain; version=0.0.4`). */
export async function startMetricsServer(initial: { text?: string; fixture?: string } = {}): Promise<FakeMetricsServer> {
  let text = initial.text ?? (initial.fixture ? agentFixture(initial.fixture) : '');
  let status = 200;
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests += 1;
    if (req.url !== '/metrics') {
      res.writeHead(404).end('404 page not found\n');
      return;
    }
    if (status !== 200) {
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(`status ${status}\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    setText: (t) => void (text = t),
    setFixture: (name) => void (text = agentFixture(name)),
    setStatus: (s) => void (status = s),
    requestCount: () => requests,
    close: () => closeServer(server, sockets),
  };
}

export const startFakeDcgmExporter = (fixture = 'dcgm-exporter-h100-80gb-hbm3-x8.prom') => startMetricsServer({ fixture });
export const startFakeVllm = (fixture = 'vllm-metrics.prom') => startMetricsServer({ fixture });

// ---------------------------------------------------------------------------------------------------------------------
// Fake cloud metadata services
// ---------------------------------------------------------------------------------------------------------------------

export interface FakeMetadataServer {
  /** Base URL to give the agent as awsMetadataUrl / azureMetadataUrl / gcpMetadataUrl. */
  url: string;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/**
 * Answers like the real services: AWS IMDSv2 (PUT /latest/api/token, then GETs with X-aws-ec2-metadata-token),
 * Azure IMDS (GET /metadata/instance?api-version=… with `Metadata: true`), GCE (`Metadata-Flavor: Google` both ways).
 */
export async function startFakeMetadataServer(cloud: 'aws' | 'azure' | 'gcp'): Promise<FakeMetadataServer> {
  const requests: FakeMetadataServer['requests'] = [];
  const awsValues = JSON.parse(agentFixture('metadata/aws-imdsv2.json')) as Record<string, string>;
  const gceValues = JSON.parse(agentFixture('metadata/gce-metadata.json')) as Record<string, string>;
  const azureDoc = agentFixture('metadata/azure-imds-instance.json');
  const awsToken = 'AQAEAFakeImdsV2Token==';
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://metadata');
    if (cloud === 'aws') {
      if (req.method === 'PUT' && url.pathname === '/latest/api/token') {
        if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return void res.writeHead(400).end();
        return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end(awsToken);
      }
      if (req.headers['x-aws-ec2-metadata-token'] !== awsToken) return void res.writeHead(401).end();
      const value = awsValues[url.pathname];
      return void (value === undefined ? res.writeHead(404).end() : res.writeHead(200, { 'Content-Type': 'text/plain' }).end(value));
    }
    if (cloud === 'azure') {
      if (req.headers.metadata !== 'true') {
        return void res
          .writeHead(400, { 'Content-Type': 'application/json; charset=utf-8' })
          .end('{"error":"Bad request. Required metadata header not specified"}');
      }
      if (url.pathname !== '/metadata/instance' || !url.searchParams.get('api-version')) return void res.writeHead(400).end();
      return void res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(azureDoc);
    }
    if (req.headers['metadata-flavor'] !== 'Google') return void res.writeHead(403, { 'Metadata-Flavor': 'Google' }).end();
    const value = gceValues[url.pathname];
    if (value === undefined) return void res.writeHead(404, { 'Metadata-Flavor': 'Google' }).end();
    res.writeHead(200, { 'Metadata-Flavor': 'Google', 'Content-Type': 'application/text' }).end(value);
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, requests, close: () => closeServer(server, sockets) };
}

// ---------------------------------------------------------------------------------------------------------------------
// Recording ingest server (the contract of POST /v1/measurements)
// ---------------------------------------------------------------------------------------------------------------------

export interface ReceivedSample {
  time: string | number;
  gpu: { index: number; uuid: string; model: string };
  fields: Record<string, number>;
}

export interface ReceivedBatch {
  batchId: string;
  host: Record<string, unknown> & { hostId: string };
  samples: ReceivedSample[];
  inference?: Array<Record<string, unknown>>;
}

export interface IngestAttempt {
  at: number;
  status: number;
  batchId?: string;
  /** The gzip body as received. */
  body?: Buffer;
  headers: http.IncomingHttpHeaders;
}

export interface RecordingIngestServer {
  url: string;
  token: string;
  /** Every request, in arrival order, with the status answered. */
  attempts: IngestAttempt[];
  /** Distinct batches stored, in the order first stored. */
  batches: ReceivedBatch[];
  /** batchIds that arrived again after being stored. */
  duplicates: string[];
  /** All stored samples, in batch arrival order. */
  samples(): ReceivedSample[];
  /** Answer `status` (default 503) to the next `count` requests without storing them. */
  failNext(count: number, status?: number): void;
  /** Store the next `count` batches, then answer `status` (default 503) as if the response was lost. */
  storeThenFail(count: number, status?: number): void;
  /** Stop listening: connections are refused until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

const BATCH_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

function validateBatch(value: unknown): string | undefined {
  const b = value as ReceivedBatch;
  if (typeof b !== 'object' || b === null) return 'body must be an object';
  if (typeof b.batchId !== 'string' || !BATCH_ID.test(b.batchId)) return 'batchId invalid';
  if (typeof b.host !== 'object' || b.host === null || typeof b.host.hostId !== 'string' || b.host.hostId === '') return 'host.hostId required';
  if (!Array.isArray(b.samples) || b.samples.length === 0) return 'a batch needs at least one sample';
  if (b.samples.length > 10_000) return 'at most 10000 samples';
  for (const s of b.samples) {
    const time = typeof s.time === 'number' ? s.time : Date.parse(String(s.time));
    if (!Number.isFinite(time)) return 'sample time invalid';
    if (!Number.isInteger(s.gpu?.index) || s.gpu.index < 0) return 'gpu.index must be a non-negative integer';
    if (typeof s.gpu.uuid !== 'string' || s.gpu.uuid === '' || typeof s.gpu.model !== 'string' || s.gpu.model === '') return 'gpu uuid/model required';
    for (const [k, v] of Object.entries(s.fields ?? {})) {
      if (!/^DCGM_FI_[A-Z0-9_]{1,96}$/.test(k)) return `field name ${k} invalid`;
      if (typeof v !== 'number' || !Number.isFinite(v)) return `field ${k} must be a finite number`;
    }
  }
  return undefined;
}

export async function startIngestServer(options: { token?: string } = {}): Promise<RecordingIngestServer> {
  const token = options.token ?? `test-token-${Math.random().toString(36).slice(2)}`;
  const attempts: IngestAttempt[] = [];
  const batches: ReceivedBatch[] = [];
  const stored = new Map<string, ReceivedBatch>();
  const duplicates: string[] = [];
  let failCount = 0;
  let failStatus = 503;
  let storeFailCount = 0;
  let storeFailStatus = 503;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const attempt: IngestAttempt = { at: Date.now(), status: 0, body, headers: req.headers };
      attempts.push(attempt);
      const answer = (status: number, payload: unknown) => {
        attempt.status = status;
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
      };
      const error = (status: number, code: string, message: string) => answer(status, { error: { code, message, details: null } });
      if (req.method !== 'POST' || req.url !== '/v1/measurements') return error(404, 'not_found', 'no such route');
      if (req.headers.authorization !== `Bearer ${token}`) return error(401, 'unauthorized', 'bad or missing bearer token');
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return error(415, 'unsupported_media_type', 'JSON only');
      if (req.headers['content-encoding'] !== 'gzip') return error(415, 'unsupported_media_type', 'gzip expected');
      if (body.length > 1024 * 1024) return error(413, 'too_large', 'at most 1 MiB compressed');
      let batch: ReceivedBatch;
      try {
        batch = JSON.parse(gunzipSync(body).toString('utf8')) as ReceivedBatch;
      } catch {
        return error(400, 'invalid_body', 'not gzip JSON');
      }
      attempt.batchId = typeof batch?.batchId === 'string' ? batch.batchId : undefined;
      const problem = validateBatch(batch);
      if (problem) return error(400, 'validation_failed', problem);
      if (failCount > 0) {
        failCount -= 1;
        return error(failStatus, 'unavailable', 'try again');
      }
      const duplicate = stored.has(batch.batchId);
      if (duplicate) duplicates.push(batch.batchId);
      else {
        stored.set(batch.batchId, batch);
        batches.push(batch);
      }
      if (storeFailCount > 0) {
        storeFailCount -= 1;
        return error(storeFailStatus, 'unavailable', 'stored, but the answer was lost');
      }
      answer(202, { batchId: batch.batchId, accepted: batch.samples.length, duplicate, rejectedFields: 0 });
    });
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  let listening = true;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    attempts,
    batches,
    duplicates,
    samples: () => batches.flatMap((b) => b.samples),
    failNext(count, status = 503) {
      failCount = count;
      failStatus = status;
    },
    storeThenFail(count, status = 503) {
      storeFailCount = count;
      storeFailStatus = status;
    },
    async down() {
      if (!listening) return;
      listening = false;
      await closeServer(server, sockets);
    },
    async up() {
      if (listening) return;
      await listen(server, port);
      listening = true;
    },
    async close() {
      if (listening) await closeServer(server, sockets);
      listening = false;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Running the agent
// ---------------------------------------------------------------------------------------------------------------------

let built: Promise<string> | undefined;

/** Build `agent/dist/agent.mjs` once per test process (esbuild, well under a second). */
export function ensureAgentBuilt(): Promise<string> {
  built ??= buildAgent().then(({ outfile }) => outfile);
  return built;
}

export interface AgentLogLine {
  time: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  [key: string]: unknown;
}

export interface AgentProcess {
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  logs(): AgentLogLine[];
  /** Raw stderr so far (to assert that the token never appears). */
  stderr(): string;
  stdout(): string;
  waitForLog(match: (line: AgentLogLine) => boolean, timeoutMs?: number): Promise<AgentLogLine>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export interface RunAgentOptions {
  /** Command-line arguments after the script. */
  args?: string[];
  /** The whole environment of the agent (PATH included); nothing is inherited. */
  env: Record<string, string | undefined>;
  /** Run agent/src/main.ts through tsx instead of the built bundle. */
  fromSource?: boolean;
  /** Node executable for the bundle; default AGENT_TEST_NODE from the environment, else this process's node (e.g. to check Node 18). */
  node?: string;
}

export async function runAgent(options: RunAgentOptions): Promise<AgentProcess> {
  const args = options.args ?? [];
  let command: string;
  let argv: string[];
  if (options.fromSource) {
    command = process.execPath;
    argv = ['--import', 'tsx', path.join(repoRoot, 'agent', 'src', 'main.ts'), ...args];
  } else {
    await ensureAgentBuilt();
    command = options.node ?? process.env.AGENT_TEST_NODE ?? process.execPath;
    argv = [agentBundlePath, ...args];
  }
  const env = Object.fromEntries(Object.entries(options.env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const child = spawn(command, argv, { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  const lines: AgentLogLine[] = [];
  let partial = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => {
    const text = c.toString('utf8');
    stderr += text;
    partial += text;
    let nl: number;
    while ((nl = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as AgentLogLine);
      } catch {
        /* not a JSON line (e.g. the --help hint) */
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    logs: () => lines,
    stderr: () => stderr,
    stdout: () => stdout,
    waitForLog: (match, timeoutMs = 15_000) => waitFor(() => lines.find(match), { timeoutMs, what: 'agent log line' }),
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
  };
}

export interface AgentEnvOptions {
  ingest: { url: string; token: string };
  nvidiaSmi?: FakeNvidiaSmi;
  /** dcgm-exporter URL; omitted means the source is disabled. */
  dcgmUrl?: string;
  spoolDir: string;
  pollIntervalSeconds?: number;
  flushIntervalSeconds?: number;
  extra?: Record<string, string>;
}

/** A typical agent environment for tests: no cloud metadata probing, fast polls and retries. */
export function agentEnv(o: AgentEnvOptions): Record<string, string> {
  return {
    PATH: o.nvidiaSmi?.path ?? process.env.PATH ?? '',
    HOME: os.tmpdir(),
    LEDGER_URL: o.ingest.url,
    LEDGER_TOKEN: o.ingest.token,
    LEDGER_AGENT_HOST_ID: 'test-host-1',
    LEDGER_AGENT_PROVIDER: 'none',
    LEDGER_AGENT_DCGM_URL: o.dcgmUrl ?? '',
    LEDGER_AGENT_SPOOL_DIR: o.spoolDir,
    LEDGER_AGENT_POLL_INTERVAL_SECONDS: String(o.pollIntervalSeconds ?? 0.1),
    LEDGER_AGENT_FLUSH_INTERVAL_SECONDS: String(o.flushIntervalSeconds ?? 0.3),
    LEDGER_AGENT_RETRY_INITIAL_SECONDS: '0.05',
    LEDGER_AGENT_RETRY_MAX_SECONDS: '0.2',
    LEDGER_AGENT_REQUEST_TIMEOUT_SECONDS: '5',
    LEDGER_AGENT_LOG_LEVEL: 'debug',
    ...o.extra,
  };
}
