import { describe, expect, it } from 'vitest';
import { openApiDocument, operations } from '../../shared/openapi.js';
import { httpRoutes, routeKey } from '../../shared/routes.js';

describe('OpenAPI document', () => {
  const doc = openApiDocument() as any;

  it('describes every route of the route table and nothing else', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(httpRoutes.map(routeKey).sort());
    expect(Object.keys(operations).sort()).toEqual(httpRoutes.map(routeKey).sort());
  });

  it('generates the ingest body from the zod schema that validates it', () => {
    const schema = doc.components.schemas.MeasurementBatch;
    expect(schema.required).toEqual(['batchId', 'host', 'samples']);
    expect(schema.properties.host.properties.provider.enum).toEqual(['aws', 'azure', 'gcp', 'onprem', 'other']);
    expect(doc.paths['/v1/measurements'].post.security).toEqual([{ bearer: ['ingest'] }]);
    expect(Object.keys(doc.paths['/v1/measurements'].post.responses)).toEqual(
      expect.arrayContaining(['202', '400', '401', '403', '409', '413', '415']),
    );
  });

  it('lists the utilization query parameters with the step values', () => {
    const params = doc.paths['/v1/fleet/utilization'].get.parameters;
    expect(params.map((p: { name: string }) => p.name)).toEqual(['from', 'to', 'pool', 'hostId', 'step']);
    expect(params.find((p: { name: string }) => p.name === 'step').schema.enum).toEqual(['1m', '1h', '1d']);
  });

  it("documents each route's request schemas from its definition", () => {
    for (const route of httpRoutes) {
      const operation = doc.paths[route.path][route.method.toLowerCase()];
      expect(operation.summary, routeKey(route)).toBe(route.summary);
      expect(Boolean(operation.requestBody), routeKey(route)).toBe(Boolean(route.request.body));
      const located = (where: string) => (operation.parameters ?? []).filter((p: { in: string }) => p.in === where).length > 0;
      expect(located('query'), routeKey(route)).toBe(Boolean(route.request.query));
      expect(located('path'), routeKey(route)).toBe(Boolean(route.request.path));
    }
    expect(doc.paths['/v1/model-prices/{model}'].put.parameters[0]).toMatchObject({ in: 'path', name: 'model', required: true });
  });
});
