import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { handlerFile } from '../shared/routes.js';
import { type ScheduledJob, scheduledJobs } from '../shared/schedules.js';
import { HOUR_MS } from '../shared/domain/core/utc-time.js';

/**
 * The schedules of `shared/schedules.ts` on a local clock: each job's handler (the very one EventBridge
 * Scheduler invokes) is called every interval of its expression, or every `everyMs` when given (faster, for a
 * demo). A run still going when its next turn comes is not started twice.
 */
const repositoryRoot = resolve(import.meta.dirname, '..');

/**
 * The period of an EventBridge Scheduler expression: `rate(1 hour)`, `rate(15 minutes)`, and `cron(...)` whose
 * minute or hour field is `*\/N`; other cron expressions run daily.
 */
export function scheduleIntervalMs(expression: string): number {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const unit = rate[2]!.startsWith('minute') ? 60_000 : rate[2]!.startsWith('hour') ? HOUR_MS : 24 * HOUR_MS;
    return Number(rate[1]) * unit;
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (cron) {
    const [minutes, hours] = cron[1]!.split(/\s+/);
    const every = (field: string | undefined) => (field ? /^(?:\*|\d+)\/(\d+)$/.exec(field)?.[1] : undefined);
    if (every(minutes)) return Number(every(minutes)) * 60_000;
    if (hours === '*') return HOUR_MS;
    if (every(hours)) return Number(every(hours)) * HOUR_MS;
    return 24 * HOUR_MS;
  }
  throw new RangeError(`Not a schedule expression: ${expression}`);
}

export type JobHandler = (event: unknown, context: Context) => Promise<unknown>;

const loaded = new Map<string, Promise<JobHandler>>();

/** A Lambda context for a function invoked in this process. */
export function lambdaContext(name: string, timeoutSeconds: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    // No account: locally the collectors take theirs from the configuration.
    invokedFunctionArn: `arn:aws:lambda:local::function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => timeoutSeconds * 1000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The exported function a handler string (`<file>.<export>`) names, imported once. */
export function loadHandler(handlerName: string): Promise<JobHandler> {
  let handler = loaded.get(handlerName);
  if (!handler) {
    const { file, exportName } = handlerFile({ handler: handlerName });
    handler = import(pathToFileURL(resolve(repositoryRoot, file)).href).then((mod) => {
      if (typeof mod[exportName] !== 'function') throw new Error(`${file} does not export ${exportName}`);
      return mod[exportName] as JobHandler;
    });
    loaded.set(handlerName, handler);
  }
  return handler;
}

/** Calls a job's handler as the scheduler would, with `payload` as the event (a job may name its own). */
export async function invokeJob(job: ScheduledJob, payload?: unknown): Promise<unknown> {
  return (await loadHandler(job.handler))(payload ?? job.input ?? {}, lambdaContext(job.name, job.timeoutSeconds));
}

export interface LocalSchedule {
  stop(): void;
}

export function startLocalSchedule(options: {
  everyMs?: number;
  jobs?: readonly ScheduledJob[];
  onError: (job: ScheduledJob, error: unknown) => void;
}): LocalSchedule {
  const timers = (options.jobs ?? scheduledJobs).map((job) => {
    let running = false;
    return setInterval(
      () => {
        if (running) return;
        running = true;
        invokeJob(job)
          .catch((error) => options.onError(job, error))
          .finally(() => {
            running = false;
          });
      },
      options.everyMs ?? scheduleIntervalMs(job.expression),
    );
  });
  return { stop: () => timers.forEach((timer) => clearInterval(timer)) };
}
