import { assessmentInputSchema, assessAnomalies } from '../../shared/services/analyze/assessments.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { workflowHandler } from '../../shared/middleware/workflow.js';

/** Task DetectAnomalies: spend anomalies with root cause, LLM usage drift. */
export const handler = workflowHandler(assessmentInputSchema, (input) => assessAnomalies(ledgerDependencies(), input));
