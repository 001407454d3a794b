import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger. Level from POWERTOOLS_LOG_LEVEL (or AWS_LAMBDA_LOG_LEVEL); never log tokens or request bodies. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'compute-ledger' });
