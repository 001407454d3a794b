/**
 * Minimal HTTP(S) client on node:http/node:https: no proxies (metadata endpoints must be reached directly), a hard
 * timeout for the whole exchange, bounded response bodies.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
  timeoutMs: number;
  /** Largest response body read; the rest is discarded. */
  maxResponseBytes?: number;
  signal?: AbortSignal;
}

export class HttpTimeoutError extends Error {
  constructor(url: string, timeoutMs: number) {
    super(`request to ${url} timed out after ${timeoutMs} ms`);
    this.name = 'HttpTimeoutError';
  }
}

/** Strips credentials and query from a URL before it goes to a log line. */
export function loggableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

export function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new Error(`invalid URL: ${loggableUrl(url)}`));
      return;
    }
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
    if (!client) {
      reject(new Error(`unsupported protocol ${target.protocol}`));
      return;
    }
    const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const req = client.request(target, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < maxBytes) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () =>
        finish(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'),
          }),
        ),
      );
      res.on('error', (err) => finish(() => reject(err)));
    });
    const timer = setTimeout(() => {
      finish(() => reject(new HttpTimeoutError(loggableUrl(url), options.timeoutMs)));
      req.destroy();
    }, options.timeoutMs);
    const onAbort = () => {
      finish(() => reject(new Error('request aborted')));
      req.destroy();
    };
    if (options.signal) {
      if (options.signal.aborted) {
        onAbort();
        return;
      }
      options.signal.addEventListener('abort', onAbort, { once: true });
    }
    req.on('error', (err) => finish(() => reject(err)));
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}
