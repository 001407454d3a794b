import { poolScopeSchema, rollupPool } from '../../shared/services/analyze/economics.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { workflowHandler } from '../../shared/middleware/workflow.js';

/** Task RollupPool (one Map iteration): the pool's minute rollups folded into host-hours. */
export const handler = workflowHandler(poolScopeSchema, (scope) => rollupPool(ledgerDependencies(), scope));
