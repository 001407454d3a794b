import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { analysisStateMachine, taskStateHandlers, type TaskArns } from '../stacks/analysis-state-machine.js';
import type { AnalysisStart, AnalysisStarter, StartedAnalysis } from '../shared/adapters/analysis-starter.js';
import { logger } from '../shared/logger.js';
import { workflowTask, workflowTasks, type WorkflowTaskName } from '../shared/workflow-tasks.js';
import { lambdaContext, loadHandler } from './scheduler.js';

/**
 * The analysis state machine run locally: the very definition `stacks/workflows.ts` deploys, interpreted by
 * `aws-local-stepfunctions`, with every task state bound to the handler its Lambda function runs.
 *
 * aws-local-stepfunctions 3 declares Node 22 but uses one Node 22 API, `Promise.withResolvers`; on Node 20 it is
 * added here (the standard behaviour, a few lines), and the tests that run the state machine run on Node 20.
 */
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor) {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

/** Which task the code running now belongs to (as its own Lambda function would know), for tests that check IAM. */
export const runningTask = new AsyncLocalStorage<{ task: WorkflowTaskName; handler: string }>();

const LOCAL_ACCOUNT = '000000000000';
const LOCAL_REGION = 'us-east-1';

/** Placeholder ARNs: the definition is validated as deployed, and the tasks are bound to local handlers by state name. */
export const localTaskArns = Object.fromEntries(
  workflowTasks.map((t) => [t.name, `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:compute-ledger-local-${t.name}`]),
) as TaskArns;

export interface LocalExecutionEvent {
  type: string;
  state?: string | undefined;
  index?: number | undefined;
  error?: string | undefined;
}

export interface LocalExecution {
  executionId: string;
  status: 'SUCCEEDED' | 'FAILED';
  output: unknown;
  error: { name: string; message: string } | null;
  /** The execution history (state entered, retried, caught, failed...), as the console shows it. */
  events: LocalExecutionEvent[];
}

export interface LocalRunOptions {
  /** Seconds between retries (the definition's intervals are for Lambda; locally 0 keeps tests quick). */
  retryIntervalSeconds?: number;
  /**
   * Make a task fail before its handler runs, the way Lambda itself can fail (throttling, service errors), which
   * has no local form: return an error to throw for this call, or nothing to run the handler.
   */
  fault?: (state: string, input: unknown, call: number) => Error | undefined;
  executionName?: string;
}

export async function runAnalysisLocally(input: unknown, options: LocalRunOptions = {}): Promise<LocalExecution> {
  const { StateMachine } = await import('aws-local-stepfunctions');
  const definition = analysisStateMachine(localTaskArns);
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
  const name = options.executionName ?? randomUUID();
  const executionId = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:compute-ledger-local-Analysis:${name}`;
  const calls = new Map<string, number>();
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [state, taskName] of Object.entries(taskStateHandlers)) {
    const task = workflowTask(taskName as WorkflowTaskName);
    handlers[state] = async (taskInput: unknown) => {
      const call = (calls.get(state) ?? 0) + 1;
      calls.set(state, call);
      const injected = options.fault?.(state, taskInput, call);
      if (injected) throw injected;
      const handler = await loadHandler(task.handler);
      // Lambda returns JSON: what the handler returns crosses the wire as JSON.
      const output = await runningTask.run({ task: task.name, handler: task.handler }, () =>
        handler(taskInput, lambdaContext(`compute-ledger-local-${task.name}`, task.timeoutSeconds)),
      );
      return JSON.parse(JSON.stringify(output ?? null));
    };
  }
  const retryIntervals = Object.fromEntries(
    Object.keys(taskStateHandlers).map((state) => [state, (options.retryIntervalSeconds ?? 0) * 1000]),
  );
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: retryIntervals },
    context: { Execution: { Id: executionId, Name: name, StartTime: new Date().toISOString(), Input: input as never } },
  });
  const events: LocalExecutionEvent[] = [];
  const history = (async () => {
    for await (const e of execution.eventLogs) {
      const entry = e as { type: string; state?: { name: string }; index?: number; Error?: string };
      events.push({ type: entry.type, state: entry.state?.name, index: entry.index, error: entry.Error });
    }
  })();
  try {
    const output = await execution.result;
    await history;
    return { executionId, status: 'SUCCEEDED', output, error: null, events };
  } catch (error) {
    await history.catch(() => undefined);
    const cause = (error as { cause?: { name?: string; message?: string } }).cause;
    return {
      executionId,
      status: 'FAILED',
      output: null,
      error: { name: cause?.name ?? (error as Error).name, message: cause?.message ?? (error as Error).message },
      events,
    };
  }
}

/** The starter the local runtime registers: an execution per name, run in this process, one at a time. */
export class LocalAnalysisStarter implements AnalysisStarter {
  readonly executions: LocalExecution[] = [];
  private readonly started = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  /** Mutable, so a test can inject a fault for the next executions. */
  constructor(public options: LocalRunOptions = {}) {}

  async start(name: string, input: AnalysisStart): Promise<StartedAnalysis> {
    if (this.started.has(name)) return { executionName: name, executionId: name, alreadyStarted: true };
    this.started.add(name);
    const run = this.queue.then(() => runAnalysisLocally(input, { ...this.options, executionName: name }));
    this.queue = run.catch(() => undefined);
    const execution = await run;
    this.executions.push(execution);
    if (this.executions.length > 100) this.executions.shift();
    logger[execution.status === 'SUCCEEDED' ? 'info' : 'error']('analysis execution', {
      executionId: execution.executionId,
      status: execution.status,
      error: execution.error,
    });
    return { executionName: name, executionId: execution.executionId, alreadyStarted: false };
  }
}
