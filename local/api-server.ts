import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handlerFile, httpRoutes, routeKey, type HttpRoute } from '../shared/routes.js';

/**
 * Serves the route table on a local port by turning each request into an API Gateway v2 (HTTP API,
 * payload 2.0) event and calling the same handler Lambda would call.
 */
type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway's own payload limit. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const repositoryRoot = resolve(import.meta.dirname, '..');

interface CompiledRoute {
  route: HttpRoute;
  pattern: RegExp;
  params: string[];
}

function compile(route: HttpRoute): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((part) => {
      const m = /^\{([A-Za-z0-9_]+)(\+)?\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(m[1]!);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), params };
}

const loaded = new Map<string, Promise<Handler>>();

function loadHandler(route: HttpRoute): Promise<Handler> {
  let promise = loaded.get(route.handler);
  if (!promise) {
    const { file, exportName } = handlerFile(route);
    promise = import(pathToFileURL(resolve(repositoryRoot, file)).href).then((mod) => {
      const fn = mod[exportName];
      if (typeof fn !== 'function') throw new Error(`${file} does not export ${exportName}`);
      return fn as Handler;
    });
    loaded.set(route.handler, promise);
  }
  return promise;
}

function isTextual(headers: Record<string, string>): boolean {
  if (headers['content-encoding'] && headers['content-encoding'] !== 'identity') return false;
  const type = headers['content-type'] ?? '';
  return type === '' || /^(text\/|application\/(json|[a-z.+-]*\+json|x-www-form-urlencoded|xml))/i.test(type);
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolveBody(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function toApiGatewayEvent(
  req: IncomingMessage,
  body: Buffer,
  route: CompiledRoute,
  match: RegExpExecArray,
  url: URL,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const pathParameters: Record<string, string> = {};
  route.params.forEach((name, i) => (pathParameters[name] = decodeURIComponent(match[i + 1]!)));
  const textual = isTextual(headers);
  const now = new Date();
  const key = routeKey(route.route);
  return {
    version: '2.0',
    routeKey: key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(route.params.length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: body.length > 0 && !textual,
    ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
  };
}

function lambdaContext(route: HttpRoute, requestId: string): Context {
  const name = route.handler.replace(/[^A-Za-z0-9]/g, '-');
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export function createApiServer(routes: readonly HttpRoute[] = httpRoutes): Server {
  const compiled = routes.map(compile);
  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let found: { route: CompiledRoute; match: RegExpExecArray } | undefined;
      for (const route of compiled) {
        if (route.route.method !== req.method) continue;
        const match = route.pattern.exec(url.pathname);
        if (match) {
          found = { route, match };
          break;
        }
      }
      if (!found) {
        req.resume();
        return send(res, 404, { error: { code: 'not_found', message: `no route for ${req.method} ${url.pathname}` } });
      }
      const body = await readBody(req);
      if (body === 'too-large')
        return send(res, 413, { error: { code: 'payload_too_large', message: 'body: over the 10 MiB request limit' } });
      const event = toApiGatewayEvent(req, body, found.route, found.match, url);
      const handler = await loadHandler(found.route.route);
      const result = await handler(event, lambdaContext(found.route.route, event.requestContext.requestId));
      const headers: Record<string, string> = { ...(result.headers as Record<string, string> | undefined) };
      res.writeHead(result.statusCode ?? 200, headers);
      res.end(result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'));
    } catch (error) {
      // A handler that throws past its middleware is a bug; API Gateway answers 500 the same way.
      process.stderr.write(`local api: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: 'internal error' } });
      else res.end();
    }
  });
}
