/**
 * GPM (GPU Performance Monitoring: Hopper and newer) from ONE long-lived `nvidia-smi dmon --gpm-metrics 1,2,3,5,10 -d N`
 * child. `--query-gpu` has no SM activity: its utilization.gpu counts time in which any kernel ran (98 % for a GPU busy
 * half the time), while GPM's SM activity is what dcgm-exporter calls DCGM_FI_PROF_SM_ACTIVE.
 *
 * dmon prints a header (`# gpu pwr … gract smutil smocc mmaact …`), a units line (`# Idx W … GPM:%`), then one row per
 * device (and, with `--gpm-options dm`, per MIG instance) every interval. GPM columns read `-` until two GPM samples
 * exist. Columns are mapped by name; percentages become ratios 0..1, the unit dcgm-exporter uses for the same fields.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from './log.js';
import type { AgentStats } from './stats.js';
import { DMON_GPM_METRIC_IDS, DmonParser, GpmAccumulator, REFUSAL, keyOf, type GpmReading } from './dmon-format.js';

export type GpmDmonState = 'stopped' | 'starting' | 'streaming' | 'restarting' | 'unsupported' | 'absent';

export interface GpmDmonOptions {
  nvidiaSmiPath: string;
  intervalSeconds: number;
  log: Logger;
  stats: AgentStats;
  /** Clock (ms), for tests. */
  now?: () => number;
}

/** After a refusal or a missing executable, try again this much later (not in a loop). */
export const GPM_RETRY_UNSUPPORTED_MS = 30 * 60_000;
const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 60_000;
/** A child that ran this long resets the backoff. */
const BACKOFF_RESET_AFTER_MS = 60_000;
const KILL_GRACE_MS = 2000;
/** Rows per device without a single GPM value before the agent decides GPM stays `-` on this host. */
const ROWS_WITHOUT_READING_PER_DEVICE = 10;
const MAX_LINE_CHARS = 64 * 1024;

interface ChildRun {
  proc: ChildProcess;
  args: string[];
  startedAt: number;
  rows: number;
  rowsWithReadings: number;
  keys: Set<string>;
  /** Lines that said GPM will not be monitored. */
  refusal?: string;
  killedFor?: 'hang' | 'stop' | 'switch' | 'dashes';
  closed: boolean;
}

/**
 * Supervises the dmon child: starts it on demand, parses what it prints, restarts it with backoff when it dies, kills and
 * restarts it when it hangs, gives up for 30 minutes when it refuses (GPM not supported), and kills it on stop.
 * It never throws into the poll: every fault leaves the `--query-gpu` path as it was.
 */
export class GpmDmon {
  readonly readings = new GpmAccumulator();
  private run: ChildRun | undefined;
  private parser = new DmonParser();
  private state: GpmDmonState = 'stopped';
  private wanted = false;
  private mig = false;
  private migOptionRefused = false;
  private backoffMs = BACKOFF_INITIAL_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastLineAt = 0;
  private retryAt = 0;
  private startedAt: number | undefined;
  /** Every device / instance seen so far has given a GPM reading (at least one). */
  private hasReading = false;
  private readKeys = new Set<string>();
  private waiters = new Set<() => void>();
  private garbageLogged = false;
  private unknownLogged = new Set<string>();
  private deathLogged = false;
  /** The unavailable state last logged; cleared when GPM streams, so each change is logged once. */
  private faultLogged: 'unsupported' | 'absent' | undefined;
  private exitHook: (() => void) | undefined;
  private stopWaiters: Array<() => void> = [];
  private readonly now: () => number;
  private readonly hangMs: number;

  constructor(private readonly options: GpmDmonOptions) {
    this.now = options.now ?? Date.now;
    this.hangMs = Math.max(10_000, 5 * options.intervalSeconds * 1000);
  }

  get currentState(): GpmDmonState {
    return this.state;
  }

  /** A child runs or a restart is pending. */
  get active(): boolean {
    return (this.run !== undefined && !this.run.closed) || this.restartTimer !== undefined;
  }

  /** The running child's pid (for the agent's own CPU accounting), if any. */
  get childPid(): number | undefined {
    return this.run && !this.run.closed ? this.run.proc.pid : undefined;
  }

  /** When the current child was started (ms), for --once's wait. */
  get childStartedAt(): number | undefined {
    return this.startedAt;
  }

  args(): string[] {
    const args = ['dmon', '--gpm-metrics', DMON_GPM_METRIC_IDS.join(','), '-d', String(this.options.intervalSeconds)];
    if (this.mig && !this.migOptionRefused) args.push('--gpm-options', 'dm');
    return args;
  }

  /** Device and MIG level (`--gpm-options dm`) when the host has MIG devices; a change restarts the child. */
  setMig(mig: boolean): void {
    if (mig === this.mig) return;
    this.mig = mig;
    if (this.run && !this.run.closed && !this.migOptionRefused) this.kill(this.run, 'switch');
  }

  /** Keep the child running (called every poll on the nvidia-smi path). Cheap when it already runs. */
  ensureRunning(): void {
    this.wanted = true;
    if ((this.run && !this.run.closed) || this.restartTimer) return;
    if ((this.state === 'unsupported' || this.state === 'absent') && this.now() < this.retryAt) return;
    this.spawnChild();
  }

  /** Rows since the last call, averaged per device / instance. */
  take(): GpmReading[] {
    return this.readings.take();
  }

  /**
   * Resolves once every device and MIG instance dmon has printed has given a GPM reading (dmon needs two GPM samples
   * first), GPM turned out unavailable, the supervisor stopped, or `timeoutMs` passed.
   */
  waitForReading(timeoutMs: number): Promise<void> {
    if (this.hasReading || timeoutMs <= 0 || this.state === 'unsupported' || this.state === 'absent' || !this.wanted) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** Stop and kill the child (SIGTERM, SIGKILL after 2 s); resolves when it has exited. */
  async stop(): Promise<void> {
    this.wanted = false;
    this.wake();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.readings.clear();
    const run = this.run;
    if (!run || run.closed) {
      // "Not supported" and "absent" stand (with their retry time) across a stop.
      if (this.state !== 'unsupported' && this.state !== 'absent') this.setState('stopped');
      this.finishStop();
      return;
    }
    await new Promise<void>((resolve) => {
      this.stopWaiters.push(resolve);
      this.kill(run, 'stop');
    });
  }

  private setState(state: GpmDmonState): void {
    this.state = state;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private spawnChild(): void {
    const args = this.args();
    const started = this.now();
    let proc: ChildProcess;
    try {
      // Its own process group, so that stopping it also stops anything it started.
      proc = spawn(this.options.nvidiaSmiPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, windowsHide: true });
    } catch (err) {
      this.onSpawnError(err as NodeJS.ErrnoException);
      return;
    }
    const run: ChildRun = { proc, args, startedAt: started, rows: 0, rowsWithReadings: 0, keys: new Set(), closed: false };
    this.run = run;
    this.parser = new DmonParser();
    this.startedAt = started;
    this.lastLineAt = started;
    if (this.state !== 'streaming' && this.state !== 'unsupported' && this.state !== 'absent') this.setState('starting');
    this.installExitHook();
    this.options.log.debug('GPM: nvidia-smi dmon started', { args, pid: proc.pid });
    let spawnFailed = false;
    proc.on('error', (err: NodeJS.ErrnoException) => {
      if (run.closed) return;
      if (err.code === 'ENOENT' || err.code === 'EACCES' || proc.pid === undefined) {
        spawnFailed = true;
        run.closed = true;
        this.clearWatchdog();
        this.onSpawnError(err);
      }
    });
    const lines = (stream: NodeJS.ReadableStream, isStdout: boolean) => {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        partial += chunk;
        let nl: number;
        while ((nl = partial.indexOf('\n')) !== -1) {
          const line = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          this.onLine(run, line, isStdout);
        }
        if (partial.length > MAX_LINE_CHARS) {
          this.onLine(run, partial.slice(0, 200), isStdout);
          partial = '';
        }
      });
      stream.on('end', () => {
        if (partial) this.onLine(run, partial, isStdout);
        partial = '';
      });
    };
    lines(proc.stdout!, true);
    lines(proc.stderr!, false);
    proc.on('close', (code, signal) => {
      // A child that never started is handled by the 'error' listener.
      if (spawnFailed || run.closed || proc.pid === undefined) return;
      run.closed = true;
      this.clearWatchdog();
      this.onExit(run, code, signal);
    });
    this.watchdog = setInterval(
      () => {
        if (!run.closed && this.now() - this.lastLineAt > this.hangMs) {
          this.options.log.warn('GPM: nvidia-smi dmon printed nothing, killing it', {
            silentMs: this.now() - this.lastLineAt,
            pid: proc.pid,
          });
          this.kill(run, 'hang');
        }
      },
      Math.min(1000, this.hangMs / 4),
    );
    this.watchdog.unref();
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private onSpawnError(err: NodeJS.ErrnoException): void {
    this.run = undefined;
    this.retryAt = this.now() + GPM_RETRY_UNSUPPORTED_MS;
    if (this.faultLogged !== 'absent') {
      this.faultLogged = 'absent';
      this.options.log.warn('GPM unavailable: cannot start nvidia-smi dmon; sending --query-gpu fields only, retrying in 30 minutes', {
        path: this.options.nvidiaSmiPath,
        error: err.message,
        code: err.code,
      });
    }
    this.setState('absent');
    this.wake();
    this.finishStop();
  }

  private onLine(run: ChildRun, line: string, isStdout: boolean): void {
    if (run !== this.run) return;
    this.lastLineAt = this.now();
    const parsed = isStdout
      ? this.parser.parseLine(line)
      : line.trim() === ''
        ? ({ kind: 'blank' } as const)
        : ({ kind: 'garbage', line: line.trim(), refusal: REFUSAL.test(line) } as const);
    switch (parsed.kind) {
      case 'header': {
        const fresh = parsed.unknownColumns.filter((c) => !this.unknownLogged.has(c));
        if (fresh.length > 0) {
          for (const c of fresh) this.unknownLogged.add(c);
          this.options.log.debug('GPM: nvidia-smi dmon columns not used', { columns: fresh });
        }
        return;
      }
      case 'row': {
        const { row } = parsed;
        this.options.stats.gpmRows += 1;
        run.rows += 1;
        run.keys.add(keyOf(row));
        this.readings.add(row, this.now());
        if (Object.keys(row.fields).length > 0) {
          run.rowsWithReadings += 1;
          if (!this.hasReading) {
            this.readKeys.add(keyOf(row));
            if ([...run.keys].every((k) => this.readKeys.has(k))) this.hasReading = true;
          }
          if (this.state !== 'streaming') {
            // Said once; a restart that streams again is not news (its death was logged).
            const level = this.deathLogged ? 'debug' : 'info';
            this.faultLogged = undefined;
            this.setState('streaming');
            this.options.log[level]('GPM readings from nvidia-smi dmon', { args: run.args, pid: run.proc.pid });
          }
          if (this.hasReading) this.wake();
        } else if (run.rowsWithReadings === 0 && run.rows >= ROWS_WITHOUT_READING_PER_DEVICE * run.keys.size && run.keys.size > 0) {
          this.kill(run, 'dashes');
        }
        return;
      }
      case 'garbage':
        if (parsed.refusal) {
          run.refusal ??= parsed.line.slice(0, 200);
          return;
        }
        this.options.stats.gpmGarbageLines += 1;
        if (!this.garbageLogged) {
          this.garbageLogged = true;
          this.options.log.warn('GPM: nvidia-smi dmon printed a line that does not parse; such lines are ignored and counted', {
            line: parsed.line.slice(0, 200),
          });
        }
        return;
      default:
        return;
    }
  }

  private kill(run: ChildRun, reason: NonNullable<ChildRun['killedFor']>): void {
    if (run.closed) return;
    run.killedFor ??= reason;
    this.signal(run, 'SIGTERM');
    const timer = setTimeout(() => {
      if (!run.closed) this.signal(run, 'SIGKILL');
    }, KILL_GRACE_MS);
    timer.unref();
  }

  private signal(run: ChildRun, sig: NodeJS.Signals): void {
    const pid = run.proc.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        run.proc.kill(sig);
      } catch {
        /* already gone */
      }
    }
  }

  private installExitHook(): void {
    if (this.exitHook) return;
    // The agent may leave through process.exit (second signal, uncaught error): never leave dmon behind.
    this.exitHook = () => {
      if (this.run && !this.run.closed) this.signal(this.run, 'SIGKILL');
    };
    process.on('exit', this.exitHook);
  }

  private finishStop(): void {
    if (this.wanted) return;
    if (this.exitHook) process.off('exit', this.exitHook);
    this.exitHook = undefined;
    for (const resolve of this.stopWaiters.splice(0)) resolve();
  }

  private onExit(run: ChildRun, code: number | null, signal: NodeJS.Signals | null): void {
    if (run === this.run) this.run = undefined;
    const { log } = this.options;
    if (!this.wanted || run.killedFor === 'stop') {
      this.setState('stopped');
      this.finishStop();
      return;
    }
    if (run.killedFor === 'switch') {
      this.spawnChild();
      return;
    }
    // A refusal: it said so (`Not supported on the device(s)`, `Failed to process command line`, …) and never gave a reading.
    const refused = run.refusal !== undefined && run.rowsWithReadings === 0;
    if (refused && run.args.includes('--gpm-options')) {
      this.migOptionRefused = true;
      log.info('GPM: nvidia-smi dmon refused --gpm-options dm; using device-level GPM only', { message: run.refusal });
      this.spawnChild();
      return;
    }
    if (refused || run.killedFor === 'dashes') {
      this.retryAt = this.now() + GPM_RETRY_UNSUPPORTED_MS;
      if (this.faultLogged !== 'unsupported') {
        this.faultLogged = 'unsupported';
        log.warn('GPM not supported here; sending --query-gpu fields only, trying again in 30 minutes', {
          message: run.refusal ?? `no GPM reading in ${run.rows} rows`,
          exitCode: code,
        });
      }
      this.setState('unsupported');
      this.wake();
      return;
    }
    // Died or hung: restart with backoff (1 s doubling to 60 s; reset after a child that ran a minute).
    if (this.now() - run.startedAt >= BACKOFF_RESET_AFTER_MS) {
      this.backoffMs = BACKOFF_INITIAL_MS;
      this.deathLogged = false;
    }
    const delay = this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    const fields = { exitCode: code, signal, rows: run.rows, restartInMs: delay, reason: run.killedFor === 'hang' ? 'hung' : 'exited' };
    if (!this.deathLogged) {
      this.deathLogged = true;
      log.warn('GPM: nvidia-smi dmon stopped; restarting it', fields);
    } else {
      log.debug('GPM: nvidia-smi dmon stopped again; restarting it', fields);
    }
    this.setState('restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.wanted) return;
      this.options.stats.gpmRestarts += 1;
      this.spawnChild();
    }, delay);
    this.restartTimer.unref();
  }
}
