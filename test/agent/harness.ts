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
import { MAX_WORKLOAD_EPOCH, WORKLOAD_LIMITS, type Workload } from '../../agent/src/wire.js';

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

export type FakeDmonMode =
  /** Print the stream file line by line, one data row per interval, forever (wrapping to `repeatFrom`). */
  | 'stream'
  /** As `stream`, with a line of garbage after every row. */
  | 'garbage'
  /** Print the stream file once, then exit with `exitCode`. */
  | 'once'
  /** Print `dieAfterRows` rows, then exit with `exitCode` (every start does the same). */
  | 'die'
  /** Print nothing more and never exit (until its parent is gone). */
  | 'hang'
  /** Print the stream file (e.g. the not-supported message) and exit with `exitCode` at once. */
  | 'unsupported'
  /** Refuse `--gpm-options` (`Invalid combination of input arguments`, exit 1); stream otherwise. */
  | 'reject-gpm-options';

export interface FakeDmonState {
  mode?: FakeDmonMode;
  /** What the stream prints: header lines and rows in dmon's plain format. */
  text?: string;
  fixture?: string;
  /** Seconds between rows; default: the `-d` the agent asked for. */
  intervalSeconds?: number;
  exitCode?: number;
  /** After the last line, go on from this line (0-based); default: the first row with a GPM value. */
  repeatFrom?: number;
  dieAfterRows?: number;
  /** Rows printed together each interval (one per device, as dmon does); default 1. */
  rowsPerInterval?: number;
}

export interface FakeNvidiaSmi {
  /** Directory holding the `nvidia-smi` executable: put it first on PATH. */
  binDir: string;
  /** PATH with binDir first. */
  path: string;
  /** Replace what the next `--query-gpu` invocations print. `{{seq}}` in the text becomes the query's number (1, 2, …). */
  setOutput(text: string): void;
  setFixture(name: string): void;
  /** Exit status of the next `--query-gpu` invocations (a GPU lost makes nvidia-smi exit non-zero while printing the others). */
  setExitCode(code: number): void;
  /** `--query-gpu` output and exit status switched together, in one atomic write. */
  set(state: { output?: string; fixture?: string; exitCode?: number }): void;
  /** What `nvidia-smi -L` prints (default: nothing, exit 0). */
  setList(state: { output?: string; fixture?: string; exitCode?: number }): void;
  /** What plain `nvidia-smi` prints, e.g. with its `MIG devices:` table (default: nothing, exit 0). */
  setTable(state: { output?: string; fixture?: string; exitCode?: number }): void;
  /**
   * How `nvidia-smi dmon …` behaves. Default: GPM not supported (prints the not-supported fixture, exits 1).
   * A running dmon reads its mode before every row, so switching (to `hang`, `die`, …) takes effect at once.
   */
  setDmon(state: FakeDmonState): void;
  /** Arguments of every invocation so far (`--query-gpu=…`, `-L`, `` for plain, `dmon …`). */
  calls(): string[];
  /** Number of `--query-gpu` invocations (the polls). */
  callCount(): number;
  /** pids of every dmon started; each leads its own process group. */
  dmonPids(): number[];
  cleanup(): void;
}

/** Lines up to the first dmon row with a GPM value: printed once, not repeated when the stream wraps. */
function firstRowWithReading(text: string): number {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#') && !/\s[-\u2013](\s|$)/.test(` ${l} `));
  return at === -1 ? 0 : at;
}

/** pids of live processes in process group `pgid` (Linux /proc). */
export function processGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // f[0] state, f[1] ppid, f[2] pgrp; zombies are gone for good.
      if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * A `nvidia-smi` shell script. `--query-gpu` prints the current state file (its first line is the exit status, the rest
 * the output); `-L` and plain `nvidia-smi` print theirs the same way; `dmon` STREAMS rows from its stream file, one per
 * interval, as the real one does. The query state can also be switched from outside the test process by pointing
 * FAKE_NVIDIA_SMI_STATE_FILE at another file of the same shape.
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
    // Print a state file whose first line is the exit status. Read once, so a switch cannot mix two states.
    'emit() {',
    '  state=$(cat "$1"; echo x)',
    '  code=$(printf "%s" "$state" | head -n 1)',
    '  printf "%s" "${state%x}" | tail -n +2 | sed "s/{{seq}}/$2/g"',
    '  exit "$code"',
    '}',
    'dmon() {',
    '  echo "$$" >> "$D/dmon.pids"',
    '  d=1; prev=""; for a in "$@"; do [ "$prev" = "-d" ] && d="$a"; prev="$a"; done',
    '  read -r mode interval code skip limit burst < "$D/dmon-mode"',
    '  case "$mode" in',
    '    unsupported) cat "$D/dmon-stream"; exit "$code" ;;',
    '    reject-gpm-options) case " $* " in *" --gpm-options "*)',
    '      echo "Invalid combination of input arguments. Please run \'nvidia-smi -h\' for help."; exit 1 ;; esac ;;',
    '  esac',
    '  exec 3< "$D/dmon-stream"',
    '  rows=0',
    '  while :; do',
    '    read -r mode interval code skip limit burst < "$D/dmon-mode"',
    '    [ "$interval" = auto ] && interval="$d"',
    '    case "$mode" in',
    '      hang) while kill -0 "$PPID" 2>/dev/null; do sleep 0.5; done; exit 0 ;;',
    '      die) [ "$rows" -ge "$limit" ] && exit "$code" ;;',
    '    esac',
    '    if ! IFS= read -r line <&3; then',
    '      [ "$mode" = once ] && exit "$code"',
    '      exec 3< "$D/dmon-stream"',
    '      i=0; while [ "$i" -lt "$skip" ] && IFS= read -r line <&3; do i=$((i+1)); done',
    '      IFS= read -r line <&3 || { sleep "$interval"; continue; }',
    '    fi',
    // In burst mode an empty line ends the interval's rows (it is not printed).
    '    if [ -z "$line" ]; then [ "$burst" = 1 ] && sleep "$interval"; continue; fi',
    '    printf "%s\\n" "$line"',
    '    case "$line" in "#"*) continue ;; esac',
    '    [ "$mode" = garbage ] && printf "%s\\n" "?? GPM sample $rows: buffer overrun ##"',
    '    rows=$((rows+1))',
    '    [ "$burst" = 1 ] || sleep "$interval"',
    '  done',
    '}',
    'case "$1" in',
    '  -L) emit "$D/list" ;;',
    '  "") emit "$D/table" ;;',
    '  dmon) dmon "$@" ;;',
    'esac',
    'n=$(( $(cat "$D/count" 2>/dev/null || echo 0) + 1 ))',
    'echo "$n" > "$D/count"',
    'emit "$S" "$n"',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(binDir, 'nvidia-smi'), script, { mode: 0o755 });
  const atomicWrite = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(`${file}.tmp`, content);
    fs.renameSync(`${file}.tmp`, file);
  };
  const text = (state: { output?: string; fixture?: string }, fallback: string) =>
    state.output ?? (state.fixture !== undefined ? agentFixture(state.fixture) : fallback);
  let output = text(initial, '');
  let exitCode = initial.exitCode ?? 0;
  const write = () => atomicWrite('state', `${exitCode}\n${output}`);
  let dmon: Required<Omit<FakeDmonState, 'fixture' | 'intervalSeconds' | 'repeatFrom' | 'rowsPerInterval'>> &
    Pick<FakeDmonState, 'intervalSeconds' | 'repeatFrom' | 'rowsPerInterval'> = {
    mode: 'unsupported',
    text: agentFixture('nvidia-smi-dmon-a100-gpm-not-supported.txt'),
    exitCode: 1,
    dieAfterRows: 3,
  };
  const writeDmon = () => {
    let streamText = dmon.text.endsWith('\n') ? dmon.text : `${dmon.text}\n`;
    const perInterval = dmon.rowsPerInterval ?? 1;
    if (perInterval > 1) {
      // An empty line after every `perInterval` rows: the fake sleeps there, not after each row.
      let rows = 0;
      streamText = streamText
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => (l.startsWith('#') || ++rows % perInterval !== 0 ? l : `${l}\n`))
        .join('\n')
        .concat('\n');
    }
    atomicWrite('dmon-stream', streamText);
    const interval = dmon.intervalSeconds === undefined ? 'auto' : String(dmon.intervalSeconds);
    const repeatFrom = dmon.repeatFrom ?? firstRowWithReading(streamText);
    atomicWrite('dmon-mode', `${dmon.mode} ${interval} ${dmon.exitCode} ${repeatFrom} ${dmon.dieAfterRows} ${perInterval > 1 ? 1 : 0}\n`);
  };
  const readLines = (name: string) => {
    try {
      return fs.readFileSync(path.join(dir, name), 'utf8').split('\n').slice(0, -1);
    } catch {
      return [];
    }
  };
  const fake: FakeNvidiaSmi = {
    binDir,
    path: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`,
    set(state) {
      output = text(state, output);
      if (state.exitCode !== undefined) exitCode = state.exitCode;
      write();
    },
    setOutput: (t) => fake.set({ output: t }),
    setFixture: (name) => fake.set({ fixture: name }),
    setExitCode: (code) => fake.set({ exitCode: code }),
    setList: (state) => atomicWrite('list', `${state.exitCode ?? 0}\n${text(state, '')}`),
    setTable: (state) => atomicWrite('table', `${state.exitCode ?? 0}\n${text(state, '')}`),
    setDmon(state) {
      const next = { ...dmon, ...state };
      if (state.fixture !== undefined) next.text = agentFixture(state.fixture);
      // New text: repeat from its first row with a reading, unless told otherwise.
      if (state.repeatFrom === undefined && (state.text !== undefined || state.fixture !== undefined)) next.repeatFrom = undefined;
      // A refusal or a crash exits 1, anything else 0, unless told otherwise.
      if (state.exitCode === undefined && state.mode !== undefined)
        next.exitCode = state.mode === 'unsupported' || state.mode === 'die' ? 1 : 0;
      dmon = next;
      writeDmon();
    },
    calls: () => readLines('calls.log'),
    callCount: () => fake.calls().filter((c) => c.startsWith('--query-gpu')).length,
    dmonPids: () => readLines('dmon.pids').map(Number),
    cleanup: () => {
      for (const pid of fake.dmonPids()) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  write();
  fake.setList({});
  fake.setTable({});
  writeDmon();
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
  workload?: Workload;
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
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** The bounds the server puts on `workload`: known keys only, non-empty clean strings, an integer epoch. */
export function validateWorkload(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'workload must be an object';
  const w = value as Record<string, unknown>;
  const keys = Object.keys(w);
  if (keys.length === 0) return 'workload must not be empty';
  for (const key of keys) {
    if (key === 'epoch') {
      const e = w.epoch;
      if (typeof e !== 'number' || !Number.isInteger(e) || e < 0 || e > MAX_WORKLOAD_EPOCH)
        return 'workload.epoch must be an integer 0..1000000';
      continue;
    }
    const max = (WORKLOAD_LIMITS as Record<string, number>)[key];
    if (max === undefined) return `workload.${key} is not a known key`;
    const v = w[key];
    if (typeof v !== 'string' || v.length === 0 || v.length > max) return `workload.${key} must be 1..${max} characters`;
    if (CONTROL_CHARACTERS.test(v) || v.trim() !== v) return `workload.${key} has control characters or surrounding spaces`;
  }
  return undefined;
}

function validateBatch(value: unknown): string | undefined {
  const b = value as ReceivedBatch;
  if (typeof b !== 'object' || b === null) return 'body must be an object';
  if (typeof b.batchId !== 'string' || !BATCH_ID.test(b.batchId)) return 'batchId invalid';
  if (typeof b.host !== 'object' || b.host === null || typeof b.host.hostId !== 'string' || b.host.hostId === '')
    return 'host.hostId required';
  if (!Array.isArray(b.samples) || b.samples.length === 0) return 'a batch needs at least one sample';
  if (b.samples.length > 10_000) return 'at most 10000 samples';
  for (const s of b.samples) {
    const time = typeof s.time === 'number' ? s.time : Date.parse(String(s.time));
    if (!Number.isFinite(time)) return 'sample time invalid';
    if (!Number.isInteger(s.gpu?.index) || s.gpu.index < 0) return 'gpu.index must be a non-negative integer';
    if (typeof s.gpu.uuid !== 'string' || s.gpu.uuid === '' || typeof s.gpu.model !== 'string' || s.gpu.model === '')
      return 'gpu uuid/model required';
    for (const [k, v] of Object.entries(s.fields ?? {})) {
      if (!/^DCGM_FI_[A-Z0-9_]{1,96}$/.test(k)) return `field name ${k} invalid`;
      if (typeof v !== 'number' || !Number.isFinite(v)) return `field ${k} must be a finite number`;
    }
    if (s.workload !== undefined) {
      const problem = validateWorkload(s.workload);
      if (problem) return problem;
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
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
        return error(415, 'unsupported_media_type', 'JSON only');
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

// ---------------------------------------------------------------------------------------------------------------------
// One test's fakes and agents, torn down together
// ---------------------------------------------------------------------------------------------------------------------

export interface AgentTestScope {
  ingest(options?: { token?: string }): Promise<RecordingIngestServer>;
  nvidiaSmi(initial?: { fixture?: string; output?: string; exitCode?: number }): FakeNvidiaSmi;
  metrics(initial: { text?: string; fixture?: string }): Promise<FakeMetricsServer>;
  /** A temporary directory removed at cleanup. */
  dir(prefix?: string): string;
  /** Runs the agent; one still running at cleanup is killed (SIGKILL). */
  agent(options: RunAgentOptions): Promise<AgentProcess>;
  cleanup(): Promise<void>;
}

/** `const scope = agentTestScope(); afterEach(() => scope.cleanup());` */
export function agentTestScope(): AgentTestScope {
  const cleanups: Array<() => unknown> = [];
  return {
    async ingest(options) {
      const s = await startIngestServer(options);
      cleanups.push(() => s.close());
      return s;
    },
    nvidiaSmi(initial) {
      const f = startFakeNvidiaSmi(initial);
      cleanups.push(() => f.cleanup());
      return f;
    },
    async metrics(initial) {
      const m = await startMetricsServer(initial);
      cleanups.push(() => m.close());
      return m;
    },
    dir(prefix = 'agent-test-') {
      const d = tempDir(prefix);
      cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
      return d;
    },
    async agent(options) {
      const a = await runAgent(options);
      cleanups.push(async () => {
        if (a.child.exitCode === null && a.child.signalCode === null) {
          a.kill('SIGKILL');
          await a.exited;
        }
      });
      return a;
    },
    async cleanup() {
      for (const fn of cleanups.splice(0).reverse()) await fn();
    },
  };
}

/** The agent's counters from its latest `flush` / `stopped` / `once: done` line. */
export function latestStats(agent: AgentProcess): Record<string, number> | undefined {
  const line = [...agent.logs()].reverse().find((l) => l.stats !== undefined && ['flush', 'stopped', 'once: done'].includes(l.msg));
  return line?.stats as Record<string, number> | undefined;
}
