import type { LocalEventBus } from '../shared/adapters/events.js';
import { busEventOf, deliverNotification, notificationSenders, notifiedEventNames } from '../shared/services/notify/notify.js';
import { ledgerDependencies } from '../shared/dependencies.js';
import { logger } from '../shared/logger.js';

/**
 * The notifier on the in-process bus, as EventBridge invokes it in AWS: the same service, the same adapters
 * (Slack when LEDGER_SLACK_WEBHOOK_URL is set, email with LEDGER_SMTP_URL or SES settings, files with
 * LEDGER_DIGEST_DIR). A failed delivery is logged rather than thrown, so it does not fail the publisher, as it
 * would not in AWS; its claim is released, so a later publish of the same alert delivers it.
 */
export function bindLocalNotifier(bus: LocalEventBus): () => void {
  return bus.subscribe(async (event) => {
    if (!notifiedEventNames.has(event.name)) return;
    const deps = ledgerDependencies();
    try {
      await deliverNotification(deps, busEventOf(event), notificationSenders(deps.config));
    } catch (error) {
      logger.error('local notification failed', { event: event.name, message: (error as Error).message });
    }
  });
}
