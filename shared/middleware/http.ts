import { gunzipSync } from 'node:zlib';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { badRequest, forbidden, LedgerError, payloadTooLarge, unauthorized, unsupportedMediaType } from '../errors.js';
import { authenticate, type StoredToken } from '../domain/access/tokens.js';
import { ledgerDependencies } from '../dependencies.js';
import { logger } from '../logger.js';
import type { Scope } from '../routes.js';

/**
 * The one middy stack for HTTP handlers: logging context, error mapping (the only place errors become
 * status codes), body decoding (gzip, size limits, JSON) and bearer-token authentication.
 */
export interface HttpRequest {
  body: unknown;
  query: Record<string, string | undefined>;
  path: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  token: StoredToken | null;
  requestId: string;
}

export interface HttpResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Send `body` as-is (a string) with the given content type instead of JSON. */
  raw?: boolean;
}

export interface HttpHandlerOptions {
  scope: Scope | null;
  /** Whether the route reads a JSON body. */
  body?: boolean;
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
  const raw = event.body === undefined || event.body === null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
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

export function httpHandler(options: HttpHandlerOptions, impl: (request: HttpRequest) => Promise<HttpResult>) {
  const core = async (event: Event, context: LedgerContext): Promise<Result> => {
    const result = await impl({
      body: context.ledger?.body,
      query: event.queryStringParameters ?? {},
      path: event.pathParameters ?? {},
      headers: event.headers ?? {},
      token: context.ledger?.token ?? null,
      requestId: event.requestContext?.requestId ?? context.awsRequestId,
    });
    if (result.raw) return { statusCode: result.status, headers: result.headers ?? {}, body: String(result.body) };
    return json(result.status, result.body, result.headers);
  };
  const stack = middy<Event, Result, Error, LedgerContext>(core)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(errorMapping())
    .use(authentication(options.scope));
  return options.body ? stack.use(bodyDecoding()) : stack;
}
