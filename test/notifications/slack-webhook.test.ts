import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postSlackMessage, slackChannelKey, SlackWebhookError } from '../../shared/adapters/slack.js';
import { renderDigestSlack } from '../../shared/domain/digest/digest-render.js';
import { digestModel } from '../support/digest.js';
import { startSlackWebhookServer, type SlackWebhookServer } from '../support/notification-servers.js';

let slack: SlackWebhookServer;
beforeAll(async () => {
  slack = await startSlackWebhookServer();
});
afterAll(() => slack.close());
beforeEach(() => slack.reset());

const message = renderDigestSlack(digestModel());

describe('postSlackMessage (Slack incoming webhook)', () => {
  it('posts the Block Kit message as JSON', async () => {
    await postSlackMessage(slack.webhook('default'), message);
    expect(slack.postsTo('default')).toHaveLength(1);
    const [post] = slack.postsTo('default') as [(typeof slack.posts)[number]];
    expect(post.contentType).toBe('application/json; charset=utf-8');
    expect(post.body).toEqual(message);
  });

  it('waits as long as a 429 Retry-After asks, then sends again', async () => {
    slack.answerNext('default', { status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } });
    const retries: Array<{ attempt: number; status: number | null; delayMs: number }> = [];
    await postSlackMessage(slack.webhook('default'), message, { onRetry: (event) => retries.push(event) });
    expect(retries).toEqual([{ attempt: 1, status: 429, delayMs: 1000 }]);
    expect(slack.attempts).toHaveLength(2);
    expect(slack.postsTo('default')).toHaveLength(1);
  });

  it('retries 5xx with backoff, a bounded number of times', async () => {
    slack.answerNext('default', { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    const delays: number[] = [];
    const error = await postSlackMessage(slack.webhook('default'), message, {
      maxAttempts: 3,
      baseDelayMs: 5,
      onRetry: (event) => delays.push(event.delayMs),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackWebhookError);
    expect((error as SlackWebhookError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/answered HTTP 503 \(gave up after 3 attempts\)$/);
    expect(delays).toEqual([5, 10]);
    expect(slack.attempts).toHaveLength(3);
  });

  it('recovers from a 500 on the next attempt', async () => {
    slack.answerNext('default', { status: 500, body: 'internal_error' });
    await postSlackMessage(slack.webhook('default'), message, { baseDelayMs: 5 });
    expect(slack.postsTo('default')).toHaveLength(1);
  });

  it('gives up at once when Slack asks to wait longer than it may', async () => {
    slack.answerNext('default', { status: 429, headers: { 'retry-after': '120' } });
    const error = await postSlackMessage(slack.webhook('default'), message).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/HTTP 429 \(gave up after 1 attempt\)$/);
    expect(slack.attempts).toHaveLength(1);
  });

  it('fails at once on other 4xx with Slack reason, naming the webhook only by its digest', async () => {
    const url = slack.webhook('archived');
    slack.answerNext('archived', { status: 410, body: 'channel_is_archived' });
    const error = (await postSlackMessage(url, message).catch((e: unknown) => e)) as SlackWebhookError;
    expect(error).toBeInstanceOf(SlackWebhookError);
    expect(error.status).toBe(410);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`Slack webhook ${slackChannelKey(url)} answered HTTP 410 channel_is_archived`);
    expect(error.message).not.toContain('T0LEDGER');
    expect(slack.attempts).toHaveLength(1);
  });

  it('reports a webhook that cannot be reached, after retrying', async () => {
    const closed = await startSlackWebhookServer();
    const url = closed.webhook('gone');
    await closed.close();
    const error = (await postSlackMessage(url, message, { maxAttempts: 2, baseDelayMs: 5 }).catch((e: unknown) => e)) as SlackWebhookError;
    expect(error.message).toMatch(/could not be reached: .*\(gave up after 2 attempts\)$/);
  });
});
