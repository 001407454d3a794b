import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { ledgerDependencies } from '../dependencies.js';
import { logger } from '../logger.js';

export interface JobHandlerOptions {
  /** Build the adapters at module load, so a missing setting fails the cold start, not an invocation. */
  dependenciesAtColdStart?: boolean;
}

/**
 * The one middy stack for scheduled jobs: the Lambda context in every log line, and a job that throws logged
 * once with its error (the invocation still fails, so the scheduler's retry policy applies).
 */
export function jobHandler<TEvent, TResult>(job: (event: TEvent, context: Context) => Promise<TResult>, options: JobHandlerOptions = {}) {
  if (options.dependenciesAtColdStart) ledgerDependencies();
  return middy(job)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: async (request) => {
        logger.error('job failed', { error: request.error as Error });
      },
    });
}

/** The AWS account a function runs in, from its ARN (`arn:aws:lambda:<region>:<account>:function:<name>`). */
export function accountOfContext(context: Pick<Context, 'invokedFunctionArn'> | undefined): string | undefined {
  const account = context?.invokedFunctionArn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}
