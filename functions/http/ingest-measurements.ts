import { ledgerDependencies } from '../../shared/dependencies.js';
import { checkBatchSize, ingestMeasurements } from '../../shared/domain/measurements/ingest-measurements.js';
import { parseMeasurementBatch } from '../../shared/domain/measurements/measurement-fast-path.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'ingest', body: true }, async ({ body }) => {
  const deps = ledgerDependencies();
  checkBatchSize(body, deps.config.LEDGER_MAX_BATCH_SAMPLES);
  const batch = parseMeasurementBatch(body);
  return { status: 202, body: await ingestMeasurements(deps.measurements, batch, Date.now()) };
});
