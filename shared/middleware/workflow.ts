import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { jobHandler } from './job.js';

/**
 * A state machine task whose input is not what the definition passes: a programming error, never retried (the
 * error name is the Step Functions error the Catch sees).
 */
export class TaskInputError extends Error {
  override name = 'TaskInputError';
}

/**
 * The one middy stack for workflow tasks: the job stack, with the adapters built at cold start and the task input
 * checked by its schema.
 */
export function workflowHandler<Schema extends z.ZodType, Result>(
  schema: Schema,
  task: (input: z.output<Schema>, context: Context) => Promise<Result>,
) {
  const run = async (event: unknown, context: Context) => {
    const parsed = schema.safeParse(event ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
      throw new TaskInputError(`task input: ${problems}`);
    }
    return task(parsed.data, context);
  };
  return jobHandler(run, { dependenciesAtColdStart: true });
}
