import { analysisInputSchema, planAnalysis } from '../../shared/services/analyze/economics.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { workflowHandler } from '../../shared/middleware/workflow.js';

/** Task PlanAnalysis: the hours to roll up and the pools to fan out over. */
export const handler = workflowHandler(analysisInputSchema, (input) => planAnalysis(ledgerDependencies(), input, Date.now()));
