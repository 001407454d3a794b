import { analysisEvents } from '../events/analysis.js';
import { EVENT_SOURCE } from '../events/define.js';
import { permissionsFor } from '../shared/permissions.js';
import { shellSettings } from './shell-settings.js';
import { table, tableGrants } from './storage.js';

/**
 * The ledger's event bus: `collector.failed` today, and the analysis events that subscribers deliver to
 * Slack and email. Publishers get its name in LEDGER_EVENT_BUS_NAME and may only PutEvents on it.
 */
export const bus = new sst.aws.Bus('LedgerEvents');

/**
 * The notifier: subscribed to the analysis events (`signal.raised`, `budget.breached`, `anomaly.detected`,
 * `digest.ready`) of the ledger's own source; sends Slack through incoming webhooks and email through SES v2
 * (SendEmail with a raw MIME message), or SMTP when a URL is set. The Slack webhooks and the SMTP URL are
 * secrets (`npx sst secret set SlackWebhookUrl https://hooks.slack.com/...`; `SlackTeamWebhooks` is a JSON
 * object of team to webhook); the email sender and recipients come from the deploying shell. SES may send only
 * as the account's verified identities in the stack's region.
 */
const notifierHandler = 'functions/subscribers/notify.handler';
const slackWebhookUrl = new sst.Secret('SlackWebhookUrl', '');
const slackTeamWebhooks = new sst.Secret('SlackTeamWebhooks', '');
const smtpUrl = new sst.Secret('SmtpUrl', '');
const deployedNotifierSettings = shellSettings(['LEDGER_EMAIL_FROM', 'LEDGER_EMAIL_TO']);
const sesIdentities = $interpolate`arn:aws:ses:${aws.getRegionOutput().region}:${aws.getCallerIdentityOutput().accountId}:identity/*`;

export const notifier = bus.subscribe(
  'Notifier',
  {
    handler: notifierHandler,
    description: 'Delivers analysis alerts and the daily digest to Slack and email, once per alert and channel',
    runtime: 'nodejs22.x',
    architecture: 'arm64',
    memory: '512 MB',
    // Slack may ask to wait (Retry-After) up to 30 s; the digest renders its chart.
    timeout: '90 seconds',
    environment: {
      LEDGER_TABLE_NAME: table.name,
      LEDGER_STAGE: $app.stage,
      POWERTOOLS_SERVICE_NAME: 'compute-ledger',
      LEDGER_SLACK_WEBHOOK_URL: slackWebhookUrl.value,
      LEDGER_SLACK_TEAM_WEBHOOKS: slackTeamWebhooks.value,
      LEDGER_SMTP_URL: smtpUrl.value,
      ...deployedNotifierSettings,
    },
    permissions: [
      ...tableGrants(permissionsFor(notifierHandler)),
      { actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources: [sesIdentities] },
    ],
    logging: { retention: '1 month', format: 'json' },
  },
  { pattern: { source: [EVENT_SOURCE], detailType: analysisEvents.map((event) => event.name) } },
);
