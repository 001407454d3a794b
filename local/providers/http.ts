import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A reply the service modules build; `send` writes it. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface ServiceRequest {
  method: string;
  /** Path and query, as received. */
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export type ServiceHandler = (request: ServiceRequest) => Reply | Promise<Reply>;

export interface RunningService {
  url: string;
  close(): Promise<void>;
}

const maxBodyBytes = 10 * 1024 * 1024;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function write(response: ServerResponse, reply: Reply): void {
  response.writeHead(reply.status, { 'content-length': Buffer.byteLength(reply.body), ...reply.headers });
  response.end(reply.body);
}

/** Starts one service on 127.0.0.1 (an ephemeral port unless `port` is given). */
export async function startService(handler: ServiceHandler, port = 0): Promise<RunningService> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      try {
        const body = await readBody(request);
        const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
        write(response, await handler({ method: request.method ?? 'GET', url, headers: request.headers, body }));
      } catch (error) {
        write(response, {
          status: 500,
          headers: { 'content-type': 'text/plain' },
          body: `local provider server: ${(error as Error).message}`,
        });
      }
    })();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

export function xmlEscape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Opaque page tokens: base64url of a small JSON object. */
export function encodeToken(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeToken<T>(token: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The origin a client used to reach us, for absolute next-page links. */
export function originOf(request: ServiceRequest): string {
  return `http://${request.headers.host ?? '127.0.0.1'}`;
}
