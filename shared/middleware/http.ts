import { gunzipSync } from 'node:zlib';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { badRequest, forbidden, LedgerError, parseWith, payloadTooLarge, unauthorized, unsupportedMediaType } from '../errors.js';
import { authenticate, type StoredToken } from '../domain/access/tokens.js';
import { ledgerDependencies } from '../dependencies.js';
import { logger } from '../logger.js';
import { isSchema, type HttpRoute, type PathOutput, type QueryOutput, type RouteRequest, type Scope } from '../http-route.js';

/**
 * The one middy stack for HTTP handlers: logging context, error mapping (the only place errors become
 * status codes), bearer-token authentication, body decoding (gzip, size limits, JSON) and the checks of the
 * route's request schemas, so the handler receives validated input.
 */
export interface HttpRequest<Path = Record<string, string | undefined>, Query = Record<string, string | undefined>, Body = unknown> {
  body: Body;
  query: Query;
  path: Path;
  headers: Record<string, string | undefined>;
  token: StoredToken | null;
  requestId: string;
}

/** What the handler of a route receives: the outputs of the route's schemas. */
export type RouteInput<Route> =
  Route extends HttpRoute<infer Request extends RouteRequest, infer Body>
    ? HttpRequest<PathOutput<Request>, QueryOutput<Request>, Body>
    : never;

export interface HttpResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Send `body` as-is (a string) with the given content type instead of JSON. */
  raw?: boolean;
}

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** Decompressed bodies above this are refused whatever their compressed size (gzip bombs). */
const MAX_INFLATED_BYTES = 16 * 1024 * 1024;

export function decodeBody(event: Event, maxBytes: number): unknown {
  const headers = event.headers ?? {};
  const contentType = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json' && !contentType.endsWith('+json')) {
    const hint = contentType === 'application/x-protobuf' ? '; OTLP exporters send JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json' : '';
    throw unsupportedMediaType(`content-type: expected application/json, got ${contentType || 'nothing'}${hint}`);
  }
  const encoding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw unsupportedMediaType(`content-encoding: ${encoding} is not supported; send gzip or no encoding`);
  }
  const raw =
    event.body === undefined || event.body === null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.length > maxBytes) throw payloadTooLarge(`body: ${raw.length} bytes; at most ${maxBytes} bytes (compressed) are accepted`);
  let bytes = raw;
  if (encoding === 'gzip') {
    try {
      bytes = gunzipSync(raw, { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
        throw payloadTooLarge(`body: inflates beyond ${MAX_INFLATED_BYTES} bytes`);
      }
      throw badRequest('body: content-encoding is gzip but the body is not valid gzip');
    }
  }
  if (bytes.length === 0) throw badRequest('body: a JSON body is required');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw badRequest(`body: not valid JSON (${(error as Error).message})`);
  }
}

function bearerOf(event: Event): string | undefined {
  const header = event.headers?.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

async function authorize(event: Event, scope: Scope): Promise<StoredToken> {
  const bearer = bearerOf(event);
  const result = await authenticate(ledgerDependencies().tokenReader, bearer, scope);
  if (result.ok) return result.token;
  switch (result.reason) {
    case 'missing':
      throw unauthorized('authorization: a bearer token is required (Authorization: Bearer <token>)');
    case 'unknown':
      throw unauthorized('authorization: the bearer token is not valid');
    case 'revoked':
      throw unauthorized('authorization: the bearer token has been revoked');
    case 'scope':
      throw forbidden(`authorization: the token lacks the '${scope}' scope`);
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Result {
  return { statusCode: status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(error: unknown, requestId: string): Result {
  if (error instanceof LedgerError) {
    if (error.status >= 500) logger.error('request failed', { code: error.code, error });
    return json(
      error.status,
      { error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } },
      error.headers,
    );
  }
  logger.error('unhandled error', { error: error as Error, requestId });
  return json(500, { error: { code: 'internal', message: `internal error; quote request id ${requestId}` } });
}

interface LedgerContext extends Context {
  ledger?: { token: StoredToken | null; body: unknown };
}

type Request = middy.Request<Event, Result, Error, LedgerContext>;

/** Outermost: any error, ours or not, becomes the one error body. */
const errorMapping = (): middy.MiddlewareObj<Event, Result, Error, LedgerContext> => ({
  onError: async (request: Request) => {
    request.response = errorResponse(request.error, request.event.requestContext?.requestId ?? request.context.awsRequestId);
  },
});

const authentication = (scope: Scope | null): middy.MiddlewareObj<Event, Result, Error, LedgerContext> => ({
  before: async (request: Request) => {
    request.context.ledger = { token: scope ? await authorize(request.event, scope) : null, body: undefined };
  },
});

/** Runs after authentication, so an unauthenticated client never gets its body parsed. */
const bodyDecoding = (): middy.MiddlewareObj<Event, Result, Error, LedgerContext> => ({
  before: async (request: Request) => {
    request.context.ledger!.body = decodeBody(request.event, ledgerDependencies().config.LEDGER_MAX_BATCH_BYTES);
  },
});

/** Path, then query, then body, each failure a 400 naming the field (`Invalid path: id: ...`, `Invalid query: ...`). */
function validatedInput(route: HttpRoute, event: Event, body: unknown): Pick<HttpRequest, 'path' | 'query' | 'body'> {
  const { path: pathSchema, query: querySchema, body: bodySchema } = route.request;
  const rawPath = event.pathParameters ?? {};
  const rawQuery = event.queryStringParameters ?? {};
  let path: unknown = rawPath;
  if (pathSchema && isSchema(pathSchema)) path = parseWith(pathSchema, rawPath, 'path');
  else if (pathSchema)
    path = Object.fromEntries(
      Object.entries(pathSchema).map(([name, schema]) => [name, parseWith(schema, rawPath[name], `path parameter ${name}`)]),
    );
  const query = querySchema ? parseWith(querySchema, rawQuery, 'query') : rawQuery;
  if (route.parseBody) body = route.parseBody(body, ledgerDependencies().config);
  else if (bodySchema) body = parseWith(bodySchema, body);
  return { path: path as HttpRequest['path'], query: query as HttpRequest['query'], body };
}

/**
 * The Lambda handler of one route of `shared/routes.ts`. A route that authenticates builds the adapters at module
 * load, so a missing setting fails the cold start, not a request.
 */
export function httpHandler<Route extends HttpRoute>(route: Route, impl: (request: RouteInput<Route>) => Promise<HttpResult>) {
  if (route.scope) ledgerDependencies();
  const core = async (event: Event, context: LedgerContext): Promise<Result> => {
    const result = await impl({
      ...validatedInput(route, event, context.ledger?.body),
      headers: event.headers ?? {},
      token: context.ledger?.token ?? null,
      requestId: event.requestContext?.requestId ?? context.awsRequestId,
    } as RouteInput<Route>);
    if (result.raw) return { statusCode: result.status, headers: result.headers ?? {}, body: String(result.body) };
    return json(result.status, result.body, result.headers);
  };
  const stack = middy<Event, Result, Error, LedgerContext>(core)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(errorMapping())
    .use(authentication(route.scope));
  return route.request.body ? stack.use(bodyDecoding()) : stack;
}
