import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * Local servers that speak the real wire formats the notifier talks to, and record what they received:
 * Slack incoming webhooks, the SES v2 REST API (SendEmail) and SMTP.
 */

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface SlackPost {
  /** The webhook path, e.g. `/services/T000/B000/default`. */
  path: string;
  contentType: string | undefined;
  body: { text: string; blocks: Array<Record<string, any>> };
}

export interface ScriptedAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/**
 * Slack incoming webhooks: any path under /services/ is a webhook; answers 200 `ok` unless answers were
 * scripted for that path (`answerNext`), which are used once each, in order. Every request is recorded,
 * the refused ones included (`attempts`); `posts` holds those answered 200.
 */
export interface SlackWebhookServer {
  webhook(name: string): string;
  attempts: SlackPost[];
  posts: SlackPost[];
  postsTo(name: string): SlackPost[];
  answerNext(name: string, ...answers: ScriptedAnswer[]): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startSlackWebhookServer(): Promise<SlackWebhookServer> {
  const attempts: SlackPost[] = [];
  const posts: SlackPost[] = [];
  const scripted = new Map<string, ScriptedAnswer[]>();
  const server = createServer(async (req, res) => {
    const raw = (await readBody(req)).toString('utf8');
    const path = req.url ?? '/';
    let body: SlackPost['body'];
    try {
      body = JSON.parse(raw);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
      return;
    }
    const post = { path, contentType: req.headers['content-type'], body };
    attempts.push(post);
    const answer = scripted.get(path)?.shift();
    if (answer) {
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body ?? '');
      return;
    }
    posts.push(post);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  const base = await listen(server);
  const pathOf = (name: string) => `/services/T0LEDGER/B0LEDGER/${name}`;
  return {
    webhook: (name) => `${base}${pathOf(name)}`,
    attempts,
    posts,
    postsTo: (name) => posts.filter((p) => p.path === pathOf(name)),
    answerNext: (name, ...answers) => scripted.set(pathOf(name), [...(scripted.get(pathOf(name)) ?? []), ...answers]),
    reset() {
      attempts.length = 0;
      posts.length = 0;
      scripted.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface SesSendRequest {
  request: { FromEmailAddress?: string; Destination?: { ToAddresses?: string[] }; Content: { Raw?: { Data: string } } };
  raw: Buffer;
  mail: ParsedMail;
}

/**
 * The SES v2 REST API's SendEmail: `POST /v2/email/outbound-emails` with a JSON body whose raw message is base64
 * in `Content.Raw.Data`; answers `{"MessageId": ...}`. `rejectNext` answers the next request with SES's
 * MessageRejected error (HTTP 400, `x-amzn-ErrorType`).
 */
export interface SesServer {
  endpoint: string;
  sent: SesSendRequest[];
  rejectNext(message: string): void;
  close(): Promise<void>;
}

export async function startSesServer(): Promise<SesServer> {
  const sent: SesSendRequest[] = [];
  let reject: string | undefined;
  const server = createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    if (req.method !== 'POST' || req.url !== '/v2/email/outbound-emails') {
      res
        .writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'NotFoundException' })
        .end(JSON.stringify({ message: `no route ${req.method} ${req.url}` }));
      return;
    }
    if (reject !== undefined) {
      const message = reject;
      reject = undefined;
      res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' }).end(JSON.stringify({ message }));
      return;
    }
    const request = JSON.parse(body) as SesSendRequest['request'];
    const raw = Buffer.from(request.Content.Raw?.Data ?? '', 'base64');
    sent.push({ request, raw, mail: await simpleParser(raw, { keepCidLinks: true }) });
    res
      .writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': `req-${sent.length}` })
      .end(JSON.stringify({ MessageId: `0100-ses-${sent.length}` }));
  });
  const endpoint = await listen(server);
  return {
    endpoint,
    sent,
    rejectNext: (message) => {
      reject = message;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface SmtpMessage {
  from: string;
  to: string[];
  raw: Buffer;
  mail: ParsedMail;
}

/** An SMTP server (no TLS, no auth) that keeps every message it accepts. */
export interface SmtpTestServer {
  url: string;
  messages: SmtpMessage[];
  close(): Promise<void>;
}

export async function startSmtpServer(): Promise<SmtpTestServer> {
  const messages: SmtpMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw, { keepCidLinks: true })
          .then((mail) => {
            messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              mail,
            });
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
