import type { EventBridgeEvent } from 'aws-lambda';
import { deliverNotification, notificationSenders } from '../../shared/services/notify/notify.js';
import { ledgerDependencies } from '../../shared/dependencies.js';
import { jobHandler } from '../../shared/middleware/job.js';

/**
 * EventBridge target for `signal.raised`, `budget.breached`, `anomaly.detected` and `digest.ready`: Slack and
 * email, each alert once per channel. A failed send throws, so EventBridge's asynchronous retries try again.
 */
export const handler = jobHandler(async (event: EventBridgeEvent<string, unknown>) => {
  const deps = ledgerDependencies();
  return deliverNotification(deps, event, notificationSenders(deps.config));
});
