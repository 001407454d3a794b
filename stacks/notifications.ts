/**
 * The ledger's event bus: `collector.failed` today, and the analysis events that subscribers deliver to
 * Slack and email. Publishers get its name in LEDGER_EVENT_BUS_NAME and may only PutEvents on it.
 */
export const bus = new sst.aws.Bus('LedgerEvents');
