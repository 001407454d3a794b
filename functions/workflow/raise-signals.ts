import { assessmentInputSchema, assessSignals } from '../../shared/services/analyze/assessments.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { workflowHandler } from '../../shared/middleware/workflow.js';

/** Task RaiseSignals: recontracting signals over the day's fleet observations. */
export const handler = workflowHandler(assessmentInputSchema, (input) => assessSignals(ledgerDependencies(), input));
