import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { EmailContent } from '../domain/digest/digest-render.js';
import { logger } from '../logger.js';

/**
 * Email: one MIME message (HTML and text alternatives, inline images by Content-ID) composed by nodemailer's
 * MailComposer, then handed as it is to SES v2 (`SendEmail` with `Content.Raw`) or to an SMTP server. Both paths
 * send the very same bytes, so what the tests read from the SMTP server is what SES delivers.
 */
export interface EmailAddressing {
  from: string;
  to: readonly string[];
}

export interface EmailSender {
  readonly transport: 'ses' | 'smtp';
  send(content: EmailContent): Promise<{ messageId: string }>;
}

export async function composeEmailMime(content: EmailContent, addressing: EmailAddressing): Promise<Buffer> {
  const composer = new MailComposer({
    from: addressing.from,
    to: [...addressing.to],
    subject: content.subject,
    text: content.text,
    html: content.html,
    attachments: content.inlineImages.map((image) => ({
      filename: image.filename,
      content: image.content,
      contentType: image.contentType,
      cid: image.contentId,
      contentDisposition: 'inline' as const,
    })),
  });
  return composer.compile().build();
}

/** SES v2 SendEmail with the raw MIME message. */
export class SesEmailSender implements EmailSender {
  readonly transport = 'ses' as const;
  constructor(
    private readonly client: SESv2Client,
    private readonly addressing: EmailAddressing,
  ) {}

  async send(content: EmailContent): Promise<{ messageId: string }> {
    const mime = await composeEmailMime(content, this.addressing);
    const out = await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.addressing.from,
        Destination: { ToAddresses: [...this.addressing.to] },
        Content: { Raw: { Data: mime } },
      }),
    );
    return { messageId: out.MessageId ?? '' };
  }
}

/** SMTP (`smtp://user:pass@host:587`, `smtps://...`) with the same raw MIME message and an explicit envelope. */
export class SmtpEmailSender implements EmailSender {
  readonly transport = 'smtp' as const;
  constructor(
    private readonly smtpUrl: string,
    private readonly addressing: EmailAddressing,
  ) {}

  async send(content: EmailContent): Promise<{ messageId: string }> {
    const mime = await composeEmailMime(content, this.addressing);
    const transport = nodemailer.createTransport(this.smtpUrl);
    try {
      const info = await transport.sendMail({ envelope: { from: this.addressing.from, to: [...this.addressing.to] }, raw: mime });
      return { messageId: info.messageId ?? '' };
    } finally {
      transport.close();
    }
  }
}

/** The sender address when only an SMTP server is configured (a local relay or a test inbox). */
const DEFAULT_SMTP_FROM = 'compute-ledger@localhost';

let reportedNoEmail = false;

/**
 * SMTP when LEDGER_SMTP_URL is set; SES v2 when LEDGER_EMAIL_FROM is set; recipients from LEDGER_EMAIL_TO.
 * Without recipients or either transport, no email is sent (said once per process in the log).
 */
/** The email settings of the configuration (shared/config.ts). */
export interface EmailSettings {
  LEDGER_SMTP_URL?: string | undefined;
  LEDGER_EMAIL_FROM?: string | undefined;
  LEDGER_EMAIL_TO: string[];
  AWS_REGION: string;
}

export function createEmailSender(settings: EmailSettings, options: { sesClient?: SESv2Client } = {}): EmailSender | undefined {
  const to = settings.LEDGER_EMAIL_TO;
  if (to.length > 0 && settings.LEDGER_SMTP_URL) {
    return new SmtpEmailSender(settings.LEDGER_SMTP_URL, { from: settings.LEDGER_EMAIL_FROM ?? DEFAULT_SMTP_FROM, to });
  }
  if (to.length > 0 && settings.LEDGER_EMAIL_FROM) {
    return new SesEmailSender(options.sesClient ?? new SESv2Client({ region: settings.AWS_REGION }), {
      from: settings.LEDGER_EMAIL_FROM,
      to,
    });
  }
  if (!reportedNoEmail) {
    reportedNoEmail = true;
    const reason = to.length === 0 ? 'LEDGER_EMAIL_TO is not set' : 'neither LEDGER_SMTP_URL nor LEDGER_EMAIL_FROM is set';
    logger.info(`email notifications are off: ${reason}`);
  }
  return undefined;
}
