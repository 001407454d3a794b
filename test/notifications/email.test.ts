import { SESv2Client } from '@aws-sdk/client-sesv2';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailSender, SesEmailSender, SmtpEmailSender } from '../../shared/adapters/email.js';
import { readConfig } from '../../shared/config.js';
import { digestChartContentId, renderAlertEmail, renderDigestEmail } from '../../shared/domain/digest/digest-render.js';
import { budgetBreachedDetail, digestModel } from '../support/digest.js';
import { startSesServer, startSmtpServer, type SesServer, type SmtpTestServer } from '../support/notification-servers.js';

let ses: SesServer;
let smtp: SmtpTestServer;
beforeAll(async () => {
  [ses, smtp] = await Promise.all([startSesServer(), startSmtpServer()]);
});
afterAll(async () => {
  await Promise.all([ses.close(), smtp.close()]);
});

const addressing = { from: 'ledger@example.com', to: ['finops@example.com', 'cto@example.com'] };
const sesClient = () =>
  new SESv2Client({
    endpoint: ses.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

describe('digest email over SMTP', () => {
  it('arrives with the subject, the text and HTML alternatives and the chart PNG inline by Content-ID', async () => {
    const content = renderDigestEmail(digestModel());
    await new SmtpEmailSender(smtp.url, addressing).send(content);
    const message = smtp.messages.at(-1)!;
    expect(message.from).toBe('ledger@example.com');
    expect(message.to).toEqual(['finops@example.com', 'cto@example.com']);
    const { mail } = message;
    expect(mail.subject).toBe(
      'Compute Ledger digest 2026-11-20: $12,345.67 spend (▲ 12.3%), 4 signals worth $15,192.25/month, 2 budgets at risk',
    );
    expect(mail.from?.text).toBe('ledger@example.com');
    expect(mail.text).toContain('Total spend: $12,345.67, ▲ 12.3% vs $10,990.00');
    expect(mail.text?.trimEnd()).toBe(content.text.trimEnd());
    expect(mail.html).toContain('<img src="cid:digest-chart@compute-ledger"');
    expect(mail.html).toContain('$9,120.50');
    expect(mail.attachments).toHaveLength(1);
    const [chart] = mail.attachments as [(typeof mail.attachments)[number]];
    expect(chart.contentType).toBe('image/png');
    expect(chart.cid).toBe(digestChartContentId);
    expect(chart.contentDisposition).toBe('inline');
    expect(chart.related).toBe(true);
    expect(chart.content.equals(content.inlineImages[0]!.content)).toBe(true);
    const png = pngjs.PNG.sync.read(chart.content);
    expect([png.width, png.height]).toEqual([720, 300]);
  });
});

describe('email over SES v2 (SendEmail, Content.Raw)', () => {
  it('sends the raw MIME message to the configured recipients and returns the SES message id', async () => {
    const content = renderDigestEmail(digestModel());
    const sent = await new SesEmailSender(sesClient(), addressing).send(content);
    expect(sent.messageId).toMatch(/^0100-ses-\d+$/);
    const request = ses.sent.at(-1)!;
    expect(request.request.FromEmailAddress).toBe('ledger@example.com');
    expect(request.request.Destination).toEqual({ ToAddresses: ['finops@example.com', 'cto@example.com'] });
    expect(request.mail.subject).toBe(content.subject);
    expect(request.mail.html).toContain('cid:digest-chart@compute-ledger');
    expect(request.mail.attachments.map((a) => [a.cid, a.contentType, a.content.length])).toEqual([
      [digestChartContentId, 'image/png', content.inlineImages[0]!.content.length],
    ]);
  });

  it('sends the same message that SMTP does', async () => {
    const content = renderAlertEmail({ name: 'budget.breached', detail: budgetBreachedDetail() });
    await new SesEmailSender(sesClient(), addressing).send(content);
    await new SmtpEmailSender(smtp.url, addressing).send(content);
    const viaSes = ses.sent.at(-1)!.mail;
    const viaSmtp = smtp.messages.at(-1)!.mail;
    for (const mail of [viaSes, viaSmtp]) {
      expect(mail.subject).toBe('Budget Search team GPUs: forecast 118.0% of $10,000.00 (forecast threshold 100% crossed)');
      expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('finops@example.com, cto@example.com');
      expect(mail.attachments).toEqual([]);
    }
    expect(viaSes.html).toBe(viaSmtp.html);
    expect(viaSes.text).toBe(viaSmtp.text);
  });

  it('surfaces SES refusing the message', async () => {
    ses.rejectNext('Email address is not verified. The following identities failed the check: ledger@example.com');
    const error = await new SesEmailSender(sesClient(), addressing).send(renderDigestEmail(digestModel())).catch((e: unknown) => e);
    expect((error as Error).name).toBe('MessageRejected');
    expect((error as Error).message).toContain('Email address is not verified');
  });
});

describe('createEmailSender', () => {
  const settings = (env: Record<string, string>) => readConfig({ LEDGER_TABLE_NAME: 'ledger-test', ...env });

  it('uses SMTP when LEDGER_SMTP_URL is set, SES when only LEDGER_EMAIL_FROM is, nothing without recipients', () => {
    expect(createEmailSender(settings({ LEDGER_SMTP_URL: smtp.url, LEDGER_EMAIL_TO: 'a@example.com' }))?.transport).toBe('smtp');
    expect(
      createEmailSender(settings({ LEDGER_SMTP_URL: smtp.url, LEDGER_EMAIL_FROM: 'x@example.com', LEDGER_EMAIL_TO: 'a@example.com' }))
        ?.transport,
    ).toBe('smtp');
    expect(createEmailSender(settings({ LEDGER_EMAIL_FROM: 'x@example.com', LEDGER_EMAIL_TO: 'a@example.com' }))?.transport).toBe('ses');
    expect(createEmailSender(settings({ LEDGER_EMAIL_FROM: 'x@example.com' }))).toBeUndefined();
    expect(createEmailSender(settings({ LEDGER_EMAIL_TO: 'a@example.com' }))).toBeUndefined();
  });

  it('sends from a local address when only an SMTP server is given', async () => {
    await createEmailSender(settings({ LEDGER_SMTP_URL: smtp.url, LEDGER_EMAIL_TO: 'a@example.com' }))!.send(
      renderDigestEmail(digestModel()),
    );
    expect(smtp.messages.at(-1)!.from).toBe('compute-ledger@localhost');
    expect(smtp.messages.at(-1)!.to).toEqual(['a@example.com']);
  });
});
