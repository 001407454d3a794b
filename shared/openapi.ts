import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { isSchema, type HttpRoute } from './http-route.js';
import { httpRoutes, routeKey } from './routes.js';

export { errorSchema } from './response-schemas.js';

/** OpenAPI 3.1, generated from the route definitions: the same zod schemas that validate requests. */
function operationOf(route: HttpRoute): Omit<ZodOpenApiOperationObject, 'summary'> {
  const { path, query, body } = route.request;
  const params = {
    ...(path ? { path: isSchema(path) ? path : z.object(path) } : {}),
    ...(query ? { query } : {}),
  };
  return {
    ...(path || query ? { requestParams: params as NonNullable<ZodOpenApiOperationObject['requestParams']> } : {}),
    ...(body ? { requestBody: { content: { 'application/json': { schema: body } } } } : {}),
    responses: route.responses,
  };
}

/** Request and response schemas per route key, one for every route of the route table. */
export const operations: Record<string, Omit<ZodOpenApiOperationObject, 'summary'>> = Object.fromEntries(
  httpRoutes.map((route) => [routeKey(route), operationOf(route)]),
);

export function openApiDocument(routes: readonly HttpRoute[] = httpRoutes) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const method = route.method.toLowerCase() as 'get';
    paths[route.path] = {
      ...paths[route.path],
      [method]: { summary: route.summary, ...operationOf(route), ...(route.scope ? { security: [{ bearer: [route.scope] }] } : {}) },
    };
  }
  return createDocument(
    {
      openapi: '3.1.0',
      info: { title: 'Compute Ledger API', version: '1' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'token with the scope named on each operation' } },
      },
      paths,
    },
    // Hand-checked schemas (z.custom) state their OpenAPI shape in .meta({ override }).
    { allowEmptySchema: { custom: true } },
  );
}
