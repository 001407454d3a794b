import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeDigestFiles } from '../../shared/adapters/digest-files.js';
import type { DynamoDigestStore } from '../../shared/adapters/dynamo/digest-store.js';
import { SesEmailSender, SmtpEmailSender } from '../../shared/adapters/email.js';
import { postSlackMessage, slackChannelKey } from '../../shared/adapters/slack.js';
import {
  deliverNotification,
  NotificationDeliveryError,
  type BusEvent,
  type NotificationSenders,
  type NotifyDependencies,
} from '../../shared/services/notify/notify.js';
import { digestChartContentId } from '../../shared/domain/digest/digest-render.js';
import { anomalyDetectedDetail, budgetBreachedDetail, digestModel, signalRaisedDetail } from '../support/digest.js';
import {
  startSesServer,
  startSlackWebhookServer,
  startSmtpServer,
  type SesServer,
  type SlackWebhookServer,
  type SmtpTestServer,
} from '../support/notification-servers.js';
import { notificationStores } from './stores.js';

let slack: SlackWebhookServer;
let smtp: SmtpTestServer;
let ses: SesServer;
let deps: NotifyDependencies;
let digests: DynamoDigestStore;
let senders: NotificationSenders;
const addressing = { from: 'ledger@example.com', to: ['finops@example.com'] };

beforeAll(async () => {
  [slack, smtp, ses] = await Promise.all([startSlackWebhookServer(), startSmtpServer(), startSesServer()]);
});
afterAll(async () => {
  await Promise.all([slack.close(), smtp.close(), ses.close()]);
});
beforeEach(async () => {
  // A fresh table for each test: claims of one test never hide deliveries of another.
  const stores = await notificationStores();
  digests = stores.digests;
  deps = {
    config: { LEDGER_SLACK_WEBHOOK_URL: slack.webhook('default'), LEDGER_SLACK_TEAM_WEBHOOKS: { search: slack.webhook('search') } },
    alerts: stores.alerts,
    digests: stores.digests,
  };
  senders = {
    slack: (url, message) => postSlackMessage(url, message, { baseDelayMs: 5 }),
    email: new SmtpEmailSender(smtp.url, addressing),
  };
  slack.reset();
  smtp.messages.length = 0;
  ses.sent.length = 0;
});

let eventIds = 0;
/** As EventBridge hands it to the target: detail-type, source, the detail as JSON, a fresh id per delivery. */
function busEvent(detailType: string, detail: unknown): BusEvent {
  eventIds++;
  return {
    'detail-type': detailType,
    source: 'compute-ledger',
    detail: JSON.parse(JSON.stringify(detail)),
    id: `evt-${eventIds}`,
    time: '2026-11-21T06:00:05Z',
  };
}

describe('deliverNotification: alerts', () => {
  it('sends a team alert to the team webhook and to email, with the numbers formatted', async () => {
    const result = await deliverNotification(deps, busEvent('signal.raised', signalRaisedDetail({ team: 'search' })), senders);
    expect(result).toEqual({
      detailType: 'signal.raised',
      alertKey: 'signal:sig-consolidate-gpu-a',
      deliveries: [
        { channel: slackChannelKey(slack.webhook('search')), status: 'sent' },
        { channel: 'email', status: 'sent' },
      ],
    });
    expect(slack.postsTo('default')).toEqual([]);
    const [post] = slack.postsTo('search') as [(typeof slack.posts)[number]];
    expect(post.body.text).toBe('Signal: Consolidate pool gpu-a: 62% of paid GPU-hours idle ($4,321.00/month)');
    expect(post.body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: post.body.text, emoji: true } });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.to).toEqual(['finops@example.com']);
    expect(smtp.messages[0]!.mail.subject).toBe('Signal: Consolidate pool gpu-a: 62% of paid GPU-hours idle ($4,321.00/month)');
    expect(smtp.messages[0]!.mail.text).toContain('Impact: $4,321.00/month');
  });

  it('sends alerts without a team, or of a team without a webhook, to the default webhook', async () => {
    await deliverNotification(
      deps,
      busEvent('budget.breached', budgetBreachedDetail({ team: 'platform', alertKey: 'budget:platform' })),
      senders,
    );
    await deliverNotification(deps, busEvent('anomaly.detected', anomalyDetectedDetail({ team: null })), senders);
    await deliverNotification(
      deps,
      busEvent('budget.breached', budgetBreachedDetail({ team: 'search', alertKey: 'budget:search' })),
      senders,
    );
    expect(slack.postsTo('default').map((p) => p.body.text)).toEqual([
      'Budget Search team GPUs: forecast 118.0% of $10,000.00 (forecast threshold 100% crossed)',
      'Anomaly: service Amazon EC2 daily cost on 2026-11-20: +$1,200.00 (▲ 85.0%) vs expected $1,411.76',
    ]);
    expect(slack.postsTo('search')).toHaveLength(1);
    expect(smtp.messages.map((m) => m.mail.subject)).toHaveLength(3);
  });

  it('never sends the same alert twice: the second delivery of an event sends nothing', async () => {
    const detail = anomalyDetectedDetail();
    await deliverNotification(deps, busEvent('anomaly.detected', detail), senders);
    const again = await deliverNotification(deps, busEvent('anomaly.detected', detail), senders);
    expect(again.deliveries).toEqual([
      { channel: slackChannelKey(slack.webhook('default')), status: 'already_sent' },
      { channel: 'email', status: 'already_sent' },
    ]);
    expect(slack.attempts).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('releases a failed Slack send and throws; the retry sends Slack only, since email went out', async () => {
    slack.answerNext('default', { status: 404, body: 'no_service' });
    const event = busEvent('signal.raised', signalRaisedDetail({ team: null }));
    const error = (await deliverNotification(deps, event, senders).catch((e: unknown) => e)) as NotificationDeliveryError;
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(error.message).toBe(
      `signal.raised signal:sig-consolidate-gpu-a not delivered to ${slackChannelKey(slack.webhook('default'))}: Slack webhook ${slackChannelKey(slack.webhook('default'))} answered HTTP 404 no_service`,
    );
    expect(slack.posts).toHaveLength(0);
    expect(smtp.messages).toHaveLength(1);

    const retried = await deliverNotification(deps, event, senders);
    expect(retried.deliveries).toEqual([
      { channel: slackChannelKey(slack.webhook('default')), status: 'sent' },
      { channel: 'email', status: 'already_sent' },
    ]);
    expect(slack.posts).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('releases a failed SES send; the retry sends the email and not Slack again', async () => {
    const viaSes: NotificationSenders = {
      ...senders,
      email: new SesEmailSender(
        new SESv2Client({
          endpoint: ses.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          maxAttempts: 1,
        }),
        addressing,
      ),
    };
    ses.rejectNext('Sending paused for this account');
    const event = busEvent('budget.breached', budgetBreachedDetail({ team: null }));
    await expect(deliverNotification(deps, event, viaSes)).rejects.toThrow('not delivered to email: Sending paused for this account');
    const retried = await deliverNotification(deps, event, viaSes);
    expect(retried.deliveries.map((d) => d.status)).toEqual(['already_sent', 'sent']);
    expect(slack.posts).toHaveLength(1);
    expect(ses.sent).toHaveLength(1);
    expect(ses.sent[0]!.mail.subject).toBe('Budget Search team GPUs: forecast 118.0% of $10,000.00 (forecast threshold 100% crossed)');
  });
});

describe('deliverNotification: digest.ready', () => {
  const ready = (date = '2026-11-20') =>
    busEvent('digest.ready', {
      alertKey: `digest:${date}`,
      date,
      totalSpend: '12345.67',
      currency: 'USD',
      text: 'short',
      at: '2026-11-21T06:00:00Z',
    });

  it('sends the stored digest: Slack blocks with the top signal first, and an email with the chart inline', async () => {
    await digests.putDigest(digestModel());
    const result = await deliverNotification(deps, ready(), senders);
    expect(result.deliveries.map((d) => d.status)).toEqual(['sent', 'sent']);
    const [post] = slack.postsTo('default') as [(typeof slack.posts)[number]];
    expect(post.body.blocks[0]!.text.text).toBe('Compute Ledger digest · 2026-11-20');
    const signals = post.body.blocks
      .filter((b) => b.type === 'section' && /^\*\d+\. /.test(b.text?.text ?? ''))
      .map((b) => b.text.text as string);
    expect(signals[0]).toMatch(/^\*1\. Move pool gpu-a to gcp us-central1 spot\*  ·  \*\$9,120\.50\/month\*/);
    const [email] = smtp.messages as [(typeof smtp.messages)[number]];
    expect(email.mail.subject).toBe(
      'Compute Ledger digest 2026-11-20: $12,345.67 spend (▲ 12.3%), 4 signals worth $15,192.25/month, 2 budgets at risk',
    );
    expect(email.mail.html).toContain(`<img src="cid:${digestChartContentId}"`);
    expect(email.mail.attachments.map((a) => [a.cid, a.contentType, a.contentDisposition])).toEqual([
      [digestChartContentId, 'image/png', 'inline'],
    ]);
    expect(email.mail.text).toContain('  1. $9,120.50/month  Move pool gpu-a to gcp us-central1 spot (move, 60% confidence)');

    await deliverNotification(deps, ready(), senders);
    expect(slack.attempts).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('writes the digest files where configured', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'digests-'));
    try {
      await digests.putDigest(digestModel());
      const result = await deliverNotification(deps, ready(), { ...senders, digestFiles: (model) => writeDigestFiles(dir, model) });
      expect(result.digestFiles).toEqual({ htmlPath: join(dir, '2026-11-20.html'), pngPath: join(dir, '2026-11-20.png') });
      expect(await readFile(join(dir, '2026-11-20.html'), 'utf8')).toContain('src="2026-11-20.png"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('throws while the digest is not stored, claiming nothing, and sends once it is', async () => {
    await expect(deliverNotification(deps, ready('2026-11-19'), senders)).rejects.toThrow(
      'digest.ready for 2026-11-19: no digest is stored for that day',
    );
    await digests.putDigest(digestModel({ date: '2026-11-19' }));
    const result = await deliverNotification(deps, ready('2026-11-19'), senders);
    expect(result.deliveries.map((d) => d.status)).toEqual(['sent', 'sent']);
  });

  it('does nothing, not even read the digest, when no channel is configured', async () => {
    const bare: NotifyDependencies = { ...deps, config: {} };
    const result = await deliverNotification(bare, ready('2026-01-01'), { slack: senders.slack, email: undefined });
    expect(result).toEqual({ detailType: 'digest.ready', alertKey: 'digest:2026-01-01', deliveries: [] });
  });
});

describe('deliverNotification: what it does not handle', () => {
  it('ignores detail-types it does not know and details that do not match their schema', async () => {
    const unknown = await deliverNotification(deps, busEvent('collector.failed', { runId: 'r1' }), senders);
    expect(unknown).toEqual({ detailType: 'collector.failed', alertKey: null, deliveries: [], ignored: 'unknown_detail_type' });
    const { alertKey: _, ...withoutKey } = signalRaisedDetail();
    const invalid = await deliverNotification(deps, busEvent('signal.raised', withoutKey), senders);
    expect(invalid).toEqual({ detailType: 'signal.raised', alertKey: null, deliveries: [], ignored: 'invalid_detail' });
    expect(slack.attempts).toHaveLength(0);
    expect(smtp.messages).toHaveLength(0);
  });
});
