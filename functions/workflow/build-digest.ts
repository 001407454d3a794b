import { buildDigest, digestInputSchema } from '../../shared/services/analyze/digest.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { workflowHandler } from '../../shared/middleware/workflow.js';

/** Task BuildDigest (daily runs): the digest stored under its day and announced once with `digest.ready`. */
export const handler = workflowHandler(digestInputSchema, (input) => buildDigest(ledgerDependencies(), input));
