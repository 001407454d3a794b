import type { LedgerEvent } from '../../../events/define.js';
import type { EventPublisher } from '../../adapters/events.js';
import type { AlertClaims } from '../stores.js';

export interface RaiseOnceDependencies {
  alerts: AlertClaims;
  events: EventPublisher;
}

/**
 * Raises each alert at most once: claims its key, then publishes its event. Events are published one by one, so a
 * failed publish releases only the claim of the event that was not sent (a batch that failed half-way would send
 * its first part again on the next run); the error is rethrown, and the alerts after it stay unclaimed for the next
 * run. Returns how many alerts this call raised.
 */
export async function raiseOnce(
  deps: RaiseOnceDependencies,
  alerts: Iterable<{ alertKey: string; event: LedgerEvent }>,
  nowMs: number,
): Promise<number> {
  let raised = 0;
  for (const { alertKey, event } of alerts) {
    if (!(await deps.alerts.claimAlert(alertKey, nowMs))) continue;
    try {
      await deps.events.publish([event]);
    } catch (error) {
      await deps.alerts.releaseAlert(alertKey);
      throw error;
    }
    raised += 1;
  }
  return raised;
}
