import { analysisEvents } from '../../../events/analysis.js';
import { EVENT_SOURCE, type LedgerEvent } from '../../../events/define.js';
import { writeDigestFiles } from '../../adapters/digest-files.js';
import { createEmailSender, type EmailSender } from '../../adapters/email.js';
import { postSlackMessage, slackChannelKey } from '../../adapters/slack.js';
import type { LedgerConfig } from '../../config.js';
import type { DigestModel } from '../../domain/digest/digest-model.js';
import {
  renderAlertEmail,
  renderAlertSlack,
  renderDigestEmail,
  renderDigestSlack,
  type AlertEvent,
  type EmailContent,
} from '../../domain/digest/digest-render.js';
import type { SlackMessage } from '../../domain/digest/slack-blocks.js';
import { logger } from '../../logger.js';
import type { DeliveryClaims, DigestReader } from '../stores.js';

/**
 * The notifier: one analysis event from the bus in, Slack and email out, each alert at most once per channel.
 *
 * Routing: Slack goes to the team's webhook (LEDGER_SLACK_TEAM_WEBHOOKS[team]) when the alert names a team that
 * has one, else to LEDGER_SLACK_WEBHOOK_URL; email goes to LEDGER_EMAIL_TO. `digest.ready` sends the stored
 * digest (Slack blocks; email with the chart inline) and, where LEDGER_DIGEST_DIR is set, writes it as files.
 *
 * Once: before each send the delivery (alert key, channel) is claimed in the alert store; a send that fails
 * releases its claim and, after the other channels were tried, the whole delivery throws, so EventBridge invokes
 * again and only the channels that failed are sent again.
 */

/** What EventBridge hands a Lambda target (and what the local bus is turned into). */
export interface BusEvent {
  'detail-type': string;
  source?: string;
  detail: unknown;
  id?: string;
  time?: string;
}

/** The outside world, injectable: the real adapters in Lambda and `npm start`, local servers in tests. */
export interface NotificationSenders {
  slack: (webhookUrl: string, message: SlackMessage) => Promise<void>;
  /** Undefined: email is not configured. */
  email: EmailSender | undefined;
  /** Undefined: digests are not written as files. */
  digestFiles?: ((model: DigestModel) => Promise<{ htmlPath: string; pngPath: string }>) | undefined;
}

export interface NotifyDependencies {
  config: Pick<LedgerConfig, 'LEDGER_SLACK_WEBHOOK_URL' | 'LEDGER_SLACK_TEAM_WEBHOOKS'>;
  alerts: DeliveryClaims;
  digests: DigestReader;
}

export interface DeliveryOutcome {
  /** `slack:<webhook digest>` or `email`. */
  channel: string;
  status: 'sent' | 'already_sent';
}

export interface NotificationResult {
  detailType: string;
  alertKey: string | null;
  deliveries: DeliveryOutcome[];
  /** Why nothing was done: an event this notifier does not handle, or a detail that does not match its schema. */
  ignored?: 'unknown_detail_type' | 'invalid_detail';
  digestFiles?: { htmlPath: string; pngPath: string };
}

export class NotificationDeliveryError extends Error {
  override name = 'NotificationDeliveryError';
  constructor(
    message: string,
    readonly failures: Array<{ channel: string; error: unknown }>,
  ) {
    super(message, { cause: failures[0]?.error });
  }
}

interface PlannedDelivery {
  channel: string;
  send: () => Promise<void>;
}

const definitions = new Map<string, (typeof analysisEvents)[number]>(analysisEvents.map((definition) => [definition.name, definition]));

/** The analysis event names the notifier handles. */
export const notifiedEventNames: ReadonlySet<string> = new Set<string>(analysisEvents.map((definition) => definition.name));

export function slackWebhookFor(config: NotifyDependencies['config'], team: string | null): string | undefined {
  return (team ? config.LEDGER_SLACK_TEAM_WEBHOOKS?.[team] : undefined) ?? config.LEDGER_SLACK_WEBHOOK_URL;
}

export async function deliverNotification(
  deps: NotifyDependencies,
  event: BusEvent,
  senders: NotificationSenders,
  now: () => number = Date.now,
): Promise<NotificationResult> {
  const detailType = event['detail-type'];
  const definition = definitions.get(detailType);
  if (!definition) {
    logger.warn('notification ignored: unknown detail-type', { detailType, source: event.source, eventId: event.id });
    return { detailType, alertKey: null, deliveries: [], ignored: 'unknown_detail_type' };
  }
  const parsed = definition.schema.safeParse(event.detail);
  if (!parsed.success) {
    // A retry cannot fix the detail: say so once and let the invocation succeed.
    logger.error('notification ignored: invalid detail', { detailType, eventId: event.id, issues: parsed.error.issues.slice(0, 5) });
    return { detailType, alertKey: null, deliveries: [], ignored: 'invalid_detail' };
  }

  const result: NotificationResult = { detailType, alertKey: parsed.data.alertKey, deliveries: [] };
  let plan: PlannedDelivery[];
  if (definition.name === 'digest.ready') {
    const { date } = parsed.data as { date: string };
    const webhook = deps.config.LEDGER_SLACK_WEBHOOK_URL;
    if (!webhook && !senders.email && !senders.digestFiles) return result;
    const model = await deps.digests.getDigest(date);
    if (!model) throw new Error(`digest.ready for ${date}: no digest is stored for that day`);
    if (senders.digestFiles) result.digestFiles = await senders.digestFiles(model);
    plan = deliveriesOf(
      webhook,
      () => renderDigestSlack(model),
      () => renderDigestEmail(model),
      senders,
    );
  } else {
    const alert = { name: definition.name, detail: parsed.data } as AlertEvent;
    plan = deliveriesOf(
      slackWebhookFor(deps.config, alert.detail.team),
      () => renderAlertSlack(alert),
      () => renderAlertEmail(alert),
      senders,
    );
  }

  const failures: Array<{ channel: string; error: unknown }> = [];
  for (const delivery of plan) {
    const alertKey = parsed.data.alertKey;
    if (!(await deps.alerts.claimDelivery(alertKey, delivery.channel, now()))) {
      result.deliveries.push({ channel: delivery.channel, status: 'already_sent' });
      logger.info('notification already sent', { detailType, alertKey, channel: delivery.channel });
      continue;
    }
    try {
      await delivery.send();
      result.deliveries.push({ channel: delivery.channel, status: 'sent' });
      logger.info('notification sent', { detailType, alertKey, channel: delivery.channel });
    } catch (error) {
      await deps.alerts.releaseDelivery(alertKey, delivery.channel);
      failures.push({ channel: delivery.channel, error });
      logger.error('notification failed', { detailType, alertKey, channel: delivery.channel, error: error as Error });
    }
  }
  if (failures.length) {
    const reasons = failures.map((f) => `${f.channel}: ${(f.error as Error)?.message ?? String(f.error)}`).join('; ');
    throw new NotificationDeliveryError(`${detailType} ${parsed.data.alertKey} not delivered to ${reasons}`, failures);
  }
  return result;
}

function deliveriesOf(
  webhook: string | undefined,
  slackMessage: () => SlackMessage,
  emailContent: () => EmailContent,
  senders: NotificationSenders,
): PlannedDelivery[] {
  const plan: PlannedDelivery[] = [];
  if (webhook) plan.push({ channel: slackChannelKey(webhook), send: () => senders.slack(webhook, slackMessage()) });
  const email = senders.email;
  if (email) plan.push({ channel: 'email', send: async () => void (await email.send(emailContent())) });
  return plan;
}

const sendersByConfig = new WeakMap<object, NotificationSenders>();

/** The real adapters for a configuration, built once per configuration (so once per cold start). */
export function notificationSenders(
  config: Pick<LedgerConfig, 'LEDGER_SMTP_URL' | 'LEDGER_EMAIL_FROM' | 'LEDGER_EMAIL_TO' | 'AWS_REGION' | 'LEDGER_DIGEST_DIR'>,
): NotificationSenders {
  let senders = sendersByConfig.get(config);
  if (!senders) {
    const dir = config.LEDGER_DIGEST_DIR;
    senders = {
      slack: (webhookUrl, message) => postSlackMessage(webhookUrl, message),
      email: createEmailSender(config),
      digestFiles: dir ? (model) => writeDigestFiles(dir, model) : undefined,
    };
    sendersByConfig.set(config, senders);
  }
  return senders;
}

/** An event of the in-process bus as EventBridge would deliver it. */
export function busEventOf(event: LedgerEvent, at: Date = new Date()): BusEvent {
  return { 'detail-type': event.name, source: EVENT_SOURCE, detail: event.detail, time: at.toISOString() };
}
