import { recordAnalysis, recordAnalysisInputSchema } from '../../shared/services/analyze/analysis-runs.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { workflowHandler } from '../../shared/middleware/workflow.js';

/** Tasks RecordAnalysis and RecordFailure: the run record, with the scopes that failed and why. */
export const handler = workflowHandler(recordAnalysisInputSchema, (input) => recordAnalysis(ledgerDependencies(), input, Date.now()));
