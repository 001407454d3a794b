import { ledgerDependencies } from '../../shared/dependencies.js';
import { ingestMeasurements } from '../../shared/domain/measurements/ingest-measurements.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.ingestMeasurements, async ({ body: batch }) => ({
  status: 202,
  body: await ingestMeasurements(ledgerDependencies().measurements, batch, Date.now()),
}));
