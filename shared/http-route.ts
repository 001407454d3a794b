import type { z } from 'zod';
import type { ZodOpenApiResponsesObject } from 'zod-openapi';
import type { LedgerConfig } from './config.js';
import type { Scope } from './domain/access/tokens.js';

/**
 * What one HTTP route is, in one place: where it is served, who may call it, what it accepts and what it answers.
 * The route table (`shared/routes.ts`) is a list of these; the stacks and the local server deploy it, the OpenAPI
 * document describes it, and the HTTP middleware validates each request against it before the handler runs.
 */
export type { Scope };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Path parameters: an object schema, checked whole (`Invalid path: id: ...`), or one schema per parameter, each
 * checked on its own (`Invalid path parameter model: ...`).
 */
export type PathSchema = z.ZodType | Readonly<Record<string, z.ZodType>>;

/** The request schemas. The middleware checks them in this order: path, query, body. */
export interface RouteRequest {
  path?: PathSchema;
  query?: z.ZodType;
  /** A JSON body; a route without one does not read its body. */
  body?: z.ZodType;
}

export interface HttpRoute<Request extends RouteRequest = RouteRequest, Body = unknown> {
  method: HttpMethod;
  path: string;
  /** `<file without extension>.<export>` relative to the repository root, as SST expects. */
  handler: string;
  /** Scope the bearer token must carry; `null` means no authentication. */
  scope: Scope | null;
  summary: string;
  request: Request;
  /**
   * Replaces the check of the body by `request.body` (which still documents it) where the body has its own
   * parser: a size limit checked first, a fast path for large batches.
   */
  parseBody?: (body: unknown, config: LedgerConfig) => Body;
  responses: ZodOpenApiResponsesObject;
}

type Raw = Record<string, string | undefined>;

export type PathOutput<Request extends RouteRequest> = Request extends { path: infer S }
  ? S extends z.ZodType
    ? z.output<S>
    : S extends Readonly<Record<string, z.ZodType>>
      ? { [K in keyof S]: z.output<S[K]> }
      : Raw
  : Raw;

export type QueryOutput<Request extends RouteRequest> = Request extends { query: infer S extends z.ZodType } ? z.output<S> : Raw;

export type BodyOutput<Request extends RouteRequest> = Request extends { body: infer S extends z.ZodType } ? z.output<S> : undefined;

/** Whether a path schema is one schema (checked whole) rather than one per parameter. */
export function isSchema(path: PathSchema): path is z.ZodType {
  return '_zod' in path;
}

/** One route; the type keeps its schemas, so its handler receives their outputs. */
export function defineRoute<Request extends RouteRequest, Body = BodyOutput<Request>>(
  route: HttpRoute<Request, Body>,
): HttpRoute<Request, Body> {
  return route;
}

export function routeKey(route: Pick<HttpRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export function handlerFile(route: Pick<HttpRoute, 'handler'>): { file: string; exportName: string } {
  const dot = route.handler.lastIndexOf('.');
  return { file: `${route.handler.slice(0, dot)}.ts`, exportName: route.handler.slice(dot + 1) };
}
