import type { CloudProvider } from '../domain/providers/gpu-catalog.js';
import { malformedReply } from '../domain/providers/provider-errors.js';
import { type FailureClassification, type RetryOptions, callWithRetry } from './provider-retry.js';

const maxPages = 100_000;

/**
 * Follows a token-paged API to its last page: each page is fetched with retries, yielded, and the next token
 * read from it. A token that repeats is a malformed reply (it would loop forever).
 */
export async function* followPageTokens<P>(
  call: { provider: CloudProvider; operation: string; classify: (error: unknown) => FailureClassification },
  fetchPage: (token: string | undefined) => Promise<P>,
  nextToken: (page: P) => string | null | undefined,
  options: RetryOptions,
): AsyncGenerator<P> {
  let token: string | undefined;
  const seen = new Set<string>();
  for (let page = 0; page < maxPages; page++) {
    const output = await callWithRetry({ ...call, ...options }, () => fetchPage(token));
    if (typeof output !== 'object' || output === null) throw malformedReply(call.provider, call.operation, 'reply is not an object');
    yield output;
    token = nextToken(output) || undefined;
    if (!token) return;
    if (seen.has(token)) throw malformedReply(call.provider, call.operation, 'the next-page token repeats an earlier one');
    seen.add(token);
  }
  throw malformedReply(call.provider, call.operation, `more than ${maxPages} pages`);
}
