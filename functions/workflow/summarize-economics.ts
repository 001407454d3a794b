import { summarizeEconomics, summarizeInputSchema } from '../../shared/services/analyze/economics.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { workflowHandler } from '../../shared/middleware/workflow.js';

/** Task SummarizeEconomics: unit-economics rows and the fleet observations the signals read. */
export const handler = workflowHandler(summarizeInputSchema, (input) => summarizeEconomics(ledgerDependencies(), input));
