import { assessmentInputSchema, assessBudgets } from '../../shared/services/analyze/assessments.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { workflowHandler } from '../../shared/middleware/workflow.js';

/** Task EvaluateBudgets: budget status, forecasts, one breach event per threshold and period. */
export const handler = workflowHandler(assessmentInputSchema, (input) => assessBudgets(ledgerDependencies(), input));
