import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resetLedgerDependencies } from '../../shared/dependencies.js';
import { defineRoute } from '../../shared/http-route.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { openApiDocument } from '../../shared/openapi.js';

/**
 * One route definition drives the validation a handler gets: these routes are not in the route table, and their
 * handlers run without a ledger (no authentication, no store).
 */
const context = {
  functionName: 'route-definition-test',
  awsRequestId: 'request-1',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:test',
} as Context;

function event(patch: Partial<APIGatewayProxyEventV2>): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'test',
    rawPath: '/',
    rawQueryString: '',
    headers: {},
    requestContext: { requestId: 'request-1' },
    isBase64Encoded: false,
    ...patch,
  } as APIGatewayProxyEventV2;
}

async function call(
  handler: (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyStructuredResultV2>,
  patch: Partial<APIGatewayProxyEventV2>,
) {
  const result = await handler(event(patch), context);
  return { status: result.statusCode, body: JSON.parse(String(result.body)) };
}

const common = {
  handler: 'functions/http/none.handler',
  scope: null,
  summary: 'test',
  responses: { '200': { description: 'ok' } },
} as const;

const perParameter = defineRoute({
  ...common,
  method: 'GET',
  path: '/v1/things/{name}',
  request: {
    path: { name: z.string().min(3, 'at least 3 characters') },
    query: z.object({ limit: z.coerce.number().int().max(10, 'at most 10') }),
  },
});
const perParameterHandler = httpHandler(perParameter, async ({ path, query }) => ({
  status: 200,
  body: { name: path.name, limit: query.limit, type: typeof query.limit },
}));

const wholePath = defineRoute({
  ...common,
  method: 'GET',
  path: '/v1/things/{id}',
  request: { path: z.object({ id: z.string().regex(/^t-/, 'must start with t-') }) },
});
const wholePathHandler = httpHandler(wholePath, async ({ path }) => ({ status: 200, body: path }));

const withBody = defineRoute({ ...common, method: 'POST', path: '/v1/things', request: { body: z.object({ count: z.number().int() }) } });
const withBodyHandler = httpHandler(withBody, async ({ body }) => ({ status: 200, body: { doubled: body.count * 2 } }));

const withParser = defineRoute({
  ...common,
  method: 'POST',
  path: '/v1/things/parsed',
  request: { body: z.object({ items: z.array(z.string()) }) },
  parseBody: (body) => ({ size: (body as { items: unknown[] }).items.length }),
});
const withParserHandler = httpHandler(withParser, async ({ body }) => ({ status: 200, body }));

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(() => {
  process.env.LEDGER_TABLE_NAME ??= 'route-definition-test';
  resetLedgerDependencies();
});
afterAll(() => resetLedgerDependencies());

describe('httpHandler with a route definition', () => {
  it('hands the handler the parsed path and query', async () => {
    const ok = await call(perParameterHandler, { pathParameters: { name: 'abc' }, queryStringParameters: { limit: '7' } });
    expect(ok).toEqual({ status: 200, body: { name: 'abc', limit: 7, type: 'number' } });
  });

  it('checks a per-parameter path schema parameter by parameter, before the query', async () => {
    const bad = await call(perParameterHandler, { pathParameters: { name: 'ab' }, queryStringParameters: { limit: '70' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.message).toBe('Invalid path parameter name: (body): at least 3 characters');
  });

  it('names the query field', async () => {
    const bad = await call(perParameterHandler, { pathParameters: { name: 'abc' }, queryStringParameters: { limit: '70' } });
    expect(bad.body.error.message).toBe('Invalid query: limit: at most 10');
  });

  it('checks an object path schema whole', async () => {
    expect(await call(wholePathHandler, { pathParameters: { id: 't-1' } })).toEqual({ status: 200, body: { id: 't-1' } });
    const bad = await call(wholePathHandler, { pathParameters: { id: 'x' } });
    expect(bad.body.error.message).toBe('Invalid path: id: must start with t-');
  });

  it('decodes and checks the body', async () => {
    expect(await call(withBodyHandler, json({ count: 4 }))).toEqual({ status: 200, body: { doubled: 8 } });
    const bad = await call(withBodyHandler, json({ count: 'four' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^Invalid body: count: /);
    const missing = await call(withBodyHandler, { headers: { 'content-type': 'application/json' } });
    expect(missing.body.error.message).toBe('body: a JSON body is required');
  });

  it("uses the route's own body parser instead of the schema where it has one", async () => {
    expect(await call(withParserHandler, json({ items: ['a', 'b'] }))).toEqual({ status: 200, body: { size: 2 } });
  });

  it('documents what it validates', () => {
    const doc = openApiDocument([perParameter, withBody]) as any;
    const get = doc.paths['/v1/things/{name}'].get;
    expect(get.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`)).toEqual(['path:name', 'query:limit']);
    expect(get.security).toBeUndefined();
    expect(doc.paths['/v1/things'].post.requestBody.content['application/json'].schema.required).toEqual(['count']);
  });
});
