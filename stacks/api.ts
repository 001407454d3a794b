import { permissionsFor } from '../shared/permissions.js';
import { httpRoutes, routeKey, type HttpRoute } from '../shared/routes.js';
import { shellSettings } from './shell-settings.js';
import { table, tableGrants } from './storage.js';

/**
 * The HTTP API: one Lambda function per route in `shared/routes.ts`, each with the IAM grants listed for its
 * handler in `shared/permissions.ts`. Authentication is done by the handlers (bearer tokens stored in
 * DynamoDB), so there is no API Gateway authorizer. The table is passed by name in the environment rather
 * than with `link`, because linking a Dynamo component grants every DynamoDB action on the table.
 */

/**
 * Settings of the deploying shell that handlers read as the analysis does: a budget's status counts team spend
 * by the same tag as the analysis that raises its breaches, and reserve applies the reservation TTL set.
 */
const deployedSettings = shellSettings(['LEDGER_TEAM_TAG', 'LEDGER_RESERVATION_TTL_SECONDS']);

/** Ingest parses and merges batches of up to thousands of samples; readers and the rest stay small. */
function sizing(route: HttpRoute): { memory: `${number} MB`; timeout: `${number} seconds` } {
  return route.scope === 'ingest' ? { memory: '1024 MB', timeout: '29 seconds' } : { memory: '512 MB', timeout: '15 seconds' };
}

export const api = new sst.aws.ApiGatewayV2('LedgerApi', {
  cors: false,
  accessLog: { retention: '1 month' },
});

for (const route of httpRoutes) {
  api.route(routeKey(route), {
    handler: route.handler,
    runtime: 'nodejs22.x',
    architecture: 'arm64',
    ...sizing(route),
    environment: {
      LEDGER_TABLE_NAME: table.name,
      LEDGER_STAGE: $app.stage,
      POWERTOOLS_SERVICE_NAME: 'compute-ledger',
      ...deployedSettings,
    },
    permissions: tableGrants(permissionsFor(route.handler)),
    logging: { retention: '1 month', format: 'json' },
  });
}
