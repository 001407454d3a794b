import './local-logging.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { UtilizationReport } from '../shared/domain/measurements/utilization.js';
import { runSummary } from '../shared/services/collect/run-summary.js';
import { isoDay } from '../shared/services/collect/periods.js';
import { defaultFleet, postFleetRange, type FleetOptions } from './fleet-simulator.js';
import { collectEverything, priceTable, spendTable } from './local-collectors.js';
import { startLocalProvidersIfWanted } from './provider-environment.js';
import { startLocalSchedule, type LocalSchedule } from './scheduler.js';
import { startLedger } from './runtime.js';
import { fleetSummaryTable } from './summary-table.js';
import { ledgerDependencies } from '../shared/dependencies.js';
import { renderDigestText } from '../shared/domain/digest/digest-render.js';
import { DAY_MS } from '../shared/domain/core/utc-time.js';

/** `npm start`: the whole system on localhost with an embedded DynamoDB and a simulated fleet. */
// The AWS SDK warns on every start that its 2027 releases will need Node 22; the lockfile pins today's.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    port: { type: 'string' },
    hosts: { type: 'string' },
    gpus: { type: 'string' },
    minutes: { type: 'string' },
    interval: { type: 'string', default: '15' },
    'no-fleet': { type: 'boolean', default: false },
    'collect-every': { type: 'string' },
  },
});

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name} must be a whole number, got ${raw}\n`);
    process.exit(2);
  }
  return n;
}

const root = resolve(import.meta.dirname, '..');
const stateDir = resolve(root, process.env.LEDGER_STATE_DIR ?? '.ledger');
const fleet: FleetOptions = {
  ...defaultFleet,
  hosts: positiveInt('hosts', values.hosts ?? process.env.LEDGER_FLEET_HOSTS, defaultFleet.hosts),
  gpusPerHost: positiveInt('gpus', values.gpus ?? process.env.LEDGER_FLEET_GPUS, defaultFleet.gpusPerHost),
};
// --once analyzes today so far: by default the fleet backfills since midnight UTC (at least an hour), so the
// digest's utilization is measured over the hours that were billed; a running system backfills the last hour.
const minutesSinceMidnight = Math.floor((Date.now() % 86_400_000) / 60_000);
const backfillMinutes = positiveInt('minutes', values.minutes, values.once ? Math.max(60, minutesSinceMidnight) : 60);
const intervalSec = Math.max(1, positiveInt('interval', values.interval, 15));
const port = positiveInt('port', values.port ?? process.env.PORT, 8787);
const collectEverySec = values['collect-every'] ?? process.env.LEDGER_COLLECT_EVERY;
const collectEveryMs = collectEverySec === undefined ? undefined : Math.max(1, positiveInt('collect-every', collectEverySec, 0)) * 1000;

const started = Date.now();
let runtime: Awaited<ReturnType<typeof startLedger>>;
let providers: Awaited<ReturnType<typeof startLocalProvidersIfWanted>>;
try {
  mkdirSync(stateDir, { recursive: true });
  // Digests are also written as files here (the notifier writes them on digest.ready).
  process.env.LEDGER_DIGEST_DIR ??= resolve(stateDir, 'digests');
  // No cloud credentials or endpoints: the collectors talk to the local provider server instead.
  providers = await startLocalProvidersIfWanted();
  // Keep one local token across restarts instead of minting a new one each time.
  const tokenFile = resolve(stateDir, 'local-token');
  const saved = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined;
  const devToken = process.env.LEDGER_DEV_TOKEN ?? saved;
  runtime = await startLedger({
    port,
    dataDir: resolve(stateDir, 'dynamodb'),
    tableName: process.env.LEDGER_TABLE_NAME ?? 'ledger-local',
    ...(devToken ? { devToken } : {}),
  });
  if (!process.env.LEDGER_DEV_TOKEN) writeFileSync(tokenFile, runtime.token, { mode: 0o600 });
} catch (error) {
  process.stderr.write(`compute-ledger: could not start: ${(error as Error).message}\n`);
  process.exit(1);
}
let schedule: LocalSchedule | undefined;
writeFileSync(
  resolve(stateDir, 'runtime.json'),
  JSON.stringify({ dynamoEndpoint: runtime.dynamoEndpoint, tableName: runtime.tableName, url: runtime.url, pid: process.pid }),
);

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    clearInterval(timer);
    schedule?.stop();
    await runtime.stop().catch(() => undefined);
    await providers?.stop().catch(() => undefined);
    rmSync(resolve(stateDir, 'runtime.json'), { force: true });
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const out = (line = '') => process.stdout.write(`${line}\n`);
out(`Compute Ledger is running on ${runtime.url} (DynamoDB at ${runtime.dynamoEndpoint}, table ${runtime.tableName})`);
out(`Token (all scopes): ${runtime.token}`);
out(`Try:  curl -s -H "Authorization: Bearer ${runtime.token}" "${runtime.url}/v1/fleet/utilization?step=1h"`);
out(`API document: ${runtime.url}/v1/openapi.json`);

let timer: NodeJS.Timeout | undefined;
const minute = (ms: number) => Math.floor(ms / 60_000) * 60_000;
const now = minute(Date.now());
if (!values['no-fleet'] && fleet.hosts > 0 && fleet.gpusPerHost > 0) {
  const from = now - backfillMinutes * 60_000;
  const samples = await postFleetRange(runtime.url, runtime.token, from, now, fleet);
  out(
    `Simulated fleet: ${fleet.hosts} hosts x ${fleet.gpusPerHost} GPUs posted ${samples} samples for the last ${backfillMinutes} minutes`,
  );
  if (!values.once) {
    // Every interval, post the minutes completed since the last post.
    let posted = now;
    timer = setInterval(() => {
      const completed = minute(Date.now());
      if (completed <= posted) return;
      const from = posted;
      posted = completed;
      postFleetRange(runtime.url, runtime.token, from, completed, fleet).catch((error) =>
        process.stderr.write(`simulated fleet: ${(error as Error).message}\n`),
      );
    }, intervalSec * 1000);
  }
}

// Collectors: once now (the local provider server's whole simulated history), then on the schedules' cadence.
const simulated = providers && {
  from: isoDay(providers.organization.firstDay),
  to: isoDay(providers.organization.today + DAY_MS),
};
out();
out(
  providers
    ? `Collectors: using the local provider server, a simulated organization with costs from ${simulated!.from} to ${simulated!.to} (no cloud credentials are configured, or LEDGER_LOCAL_PROVIDERS=on).`
    : 'Collectors: using the configured cloud credentials and endpoints.',
);
try {
  for (const run of await collectEverything(simulated ?? {})) out(`  ${runSummary(run)}`);
} catch (error) {
  process.stderr.write(`collectors: ${(error as Error).message}\n`);
}
if (!values.once) {
  // The analysis once now (today so far, with its digest), so unit economics and signals answer at once; then
  // the hourly and daily schedules run it.
  const today = new Date(now).toISOString().slice(0, 10);
  runtime.analysis
    .start(`start-${now}`, { mode: 'daily', at: new Date().toISOString(), date: today })
    .then(() =>
      out(
        `Analysis: ${runtime.analysis.executions.at(-1)?.status ?? 'not run'} (GET /v1/unit-economics, /v1/signals; digest in ${process.env.LEDGER_DIGEST_DIR})`,
      ),
    )
    .catch((error) => process.stderr.write(`analysis: ${(error as Error).message}\n`));
  schedule = startLocalSchedule({
    everyMs: collectEveryMs,
    onError: (job, error) => process.stderr.write(`${job.name}: ${(error as Error).message}\n`),
  });
  out(`Collectors run again ${collectEveryMs ? `every ${collectEveryMs / 1000} s` : 'on the cadence of shared/schedules.ts'}.`);
}

if (values.once) {
  if (simulated) {
    out();
    out(`Spend by provider and service, ${simulated.from} to ${simulated.to}`);
    out(await spendTable(runtime, simulated));
  }
  out();
  out('GPU prices per GPU-hour (latest of every offer)');
  out(await priceTable(runtime));
  const from = new Date(now - backfillMinutes * 60_000).toISOString();
  const response = await fetch(`${runtime.url}/v1/fleet/utilization?from=${from}&to=${new Date(now).toISOString()}&step=1h`, {
    headers: { authorization: `Bearer ${runtime.token}` },
  });
  const report = (await response.json()) as UtilizationReport;
  if (response.status !== 200) {
    process.stderr.write(`fleet utilization answered ${response.status}: ${JSON.stringify(report)}\n`);
    await stop(1);
  }
  out();
  out(`Fleet utilization, ${report.from} to ${report.to}`);
  out(fleetSummaryTable(report));
  out();
  // The analysis state machine, run locally, for today so far: unit economics, signals, budgets, anomalies, digest.
  const today = new Date(now).toISOString().slice(0, 10);
  await runtime.analysis.start(`once-${now}`, { mode: 'daily', at: new Date().toISOString(), date: today });
  const execution = runtime.analysis.executions.at(-1);
  out(
    `Analysis (local state machine): ${execution?.status ?? 'not run'}${execution?.error ? ` (${execution.error.name}: ${execution.error.message})` : ''}`,
  );
  const digest = await ledgerDependencies().digests.getDigest(today);
  if (digest) {
    out();
    out(renderDigestText(digest));
    out();
    out(`Digest: ${resolve(process.env.LEDGER_DIGEST_DIR!, `${today}.html`)} (chart: ${today}.png)`);
  } else if (execution?.status === 'SUCCEEDED') {
    process.stderr.write('analysis: no digest was stored\n');
  }
  out();
  out(`One cycle done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  await stop(0);
} else {
  out('Press Ctrl-C to stop.');
}
