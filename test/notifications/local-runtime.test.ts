import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collectorFailed } from '../../events/collector.js';
import { digestReady, signalRaised } from '../../events/analysis.js';
import type { LedgerRuntime } from '../../local/runtime.js';
import { localBus } from '../../shared/adapters/events.js';
import { resetConfig } from '../../shared/config.js';
import { ledgerDependencies, resetLedgerDependencies } from '../../shared/dependencies.js';
import { digestModel, signalRaisedDetail } from '../support/digest.js';
import { startTestLedger } from '../support/ledger.js';
import { startSlackWebhookServer, startSmtpServer, type SlackWebhookServer, type SmtpTestServer } from '../support/notification-servers.js';

/** `npm start`'s wiring: events on the in-process bus reach Slack, SMTP and the digest folder through the settings. */
let slack: SlackWebhookServer;
let smtp: SmtpTestServer;
let runtime: LedgerRuntime;
let digestDir: string;

beforeAll(async () => {
  [slack, smtp] = await Promise.all([startSlackWebhookServer(), startSmtpServer()]);
  digestDir = await mkdtemp(join(tmpdir(), 'digests-'));
  vi.stubEnv('LEDGER_SLACK_WEBHOOK_URL', slack.webhook('local'));
  vi.stubEnv('LEDGER_SMTP_URL', smtp.url);
  vi.stubEnv('LEDGER_EMAIL_TO', 'finops@example.com');
  vi.stubEnv('LEDGER_DIGEST_DIR', digestDir);
  runtime = await startTestLedger();
});
afterAll(async () => {
  await runtime.stop();
  vi.unstubAllEnvs();
  resetConfig();
  resetLedgerDependencies();
  await Promise.all([slack.close(), smtp.close(), rm(digestDir, { recursive: true, force: true })]);
});

describe('local runtime notifier', () => {
  it('delivers an alert published on the local bus once, however often it is published', async () => {
    const event = signalRaised.create(signalRaisedDetail({ team: null }));
    await localBus.publish([event]);
    await localBus.publish([event]);
    expect(slack.postsTo('local').map((p) => p.body.text)).toEqual([
      'Signal: Consolidate pool gpu-a: 62% of paid GPU-hours idle ($4,321.00/month)',
    ]);
    expect(smtp.messages.map((m) => m.mail.subject)).toEqual([
      'Signal: Consolidate pool gpu-a: 62% of paid GPU-hours idle ($4,321.00/month)',
    ]);
  });

  it('sends the stored digest and writes its files on digest.ready', async () => {
    await ledgerDependencies().digests.putDigest(digestModel());
    await localBus.publish([
      digestReady.create({
        alertKey: 'digest:2026-11-20',
        date: '2026-11-20',
        totalSpend: '12345.67',
        currency: 'USD',
        text: 'short',
        at: '2026-11-21T06:00:00Z',
      }),
    ]);
    expect(slack.postsTo('local').at(-1)!.body.blocks[0]!.text.text).toBe('Compute Ledger digest · 2026-11-20');
    expect(smtp.messages.at(-1)!.mail.attachments.map((a) => a.cid)).toEqual(['digest-chart@compute-ledger']);
    expect((await readdir(digestDir)).sort()).toEqual(['2026-11-20.html', '2026-11-20.png']);
  });

  it('leaves other events alone, and a failed delivery does not fail the publisher', async () => {
    const posts = slack.attempts.length;
    await localBus.publish([
      collectorFailed.create({
        runId: 'r1',
        collector: 'aws-costs',
        provider: 'aws',
        periodStart: '2026-11-01',
        periodEnd: '2026-11-02',
        error: 'boom',
        at: '2026-11-02T00:00:00Z',
      }),
    ]);
    expect(slack.attempts).toHaveLength(posts);
    slack.answerNext('local', { status: 400, body: 'invalid_payload' });
    await expect(
      localBus.publish([signalRaised.create(signalRaisedDetail({ alertKey: 'signal:other', team: null }))]),
    ).resolves.toBeUndefined();
    expect(slack.attempts).toHaveLength(posts + 1);
  });
});
