import { createHash } from 'node:crypto';
import type { SlackMessage } from '../domain/digest/slack-blocks.js';
import { logger } from '../logger.js';
import { isNetworkError, retryAfterMs } from './provider-retry.js';

/**
 * Slack incoming webhooks: POST the message as JSON. Slack answers 200 `ok`; 429 with Retry-After when rate
 * limited (about one message a second per webhook); 5xx when it is unwell. Those are retried with bounded
 * backoff; any other status (400 invalid_payload, 403 invalid_token, 404 no_service, 410 channel_is_archived)
 * fails at once with Slack's reason. The webhook URL is a secret: errors and logs name it by a short digest only.
 */
export interface SlackWebhookOptions {
  /** Attempts in all, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  /** No single wait is longer; a Retry-After beyond it gives up (the caller's retry comes later). */
  maxDelayMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (event: { attempt: number; status: number | null; delayMs: number }) => void;
}

export class SlackWebhookError extends Error {
  override name = 'SlackWebhookError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A short, stable name for a webhook that does not reveal it: `slack:3f9a0c1e2b4d`. */
export function slackChannelKey(webhookUrl: string): string {
  return `slack:${createHash('sha256').update(webhookUrl).digest('hex').slice(0, 12)}`;
}

const defaults = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30_000, timeoutMs: 10_000 };

export async function postSlackMessage(webhookUrl: string, message: SlackMessage, options: SlackWebhookOptions = {}): Promise<void> {
  const settings = { ...defaults, ...options };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const channel = slackChannelKey(webhookUrl);
  for (let attempt = 1; ; attempt++) {
    let status: number | null = null;
    let failure: SlackWebhookError;
    let waitMs = 0;
    try {
      const response = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      status = response.status;
      const reason = (await response.text()).trim().slice(0, 200);
      if (response.ok) return;
      const retryable = status === 429 || status >= 500;
      failure = new SlackWebhookError(`Slack webhook ${channel} answered HTTP ${status}${reason ? ` ${reason}` : ''}`, status, retryable);
      waitMs = retryAfterMs(response.headers.get('retry-after')) ?? 0;
    } catch (error) {
      const retryable = isNetworkError(error);
      failure = new SlackWebhookError(`Slack webhook ${channel} could not be reached: ${(error as Error).message}`, null, retryable, {
        cause: error,
      });
    }
    if (!failure.retryable) throw failure;
    const backoff = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
    const delayMs = Math.max(waitMs, backoff);
    if (attempt >= settings.maxAttempts || delayMs > settings.maxDelayMs) {
      throw new SlackWebhookError(`${failure.message} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`, status, true, {
        cause: failure,
      });
    }
    logger.warn('slack webhook retry', { channel, attempt, status, delayMs });
    options.onRetry?.({ attempt, status, delayMs });
    await sleep(delayMs);
  }
}
