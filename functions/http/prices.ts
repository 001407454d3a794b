import { ledgerDependencies } from '../../shared/dependencies.js';
import { gpuModels } from '../../shared/domain/providers/gpu-catalog.js';
import { priceHistoryWindow, priceQuerySchema, priceTable } from '../../shared/domain/market/price-query.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

// Built at cold start, so a missing setting fails the init, not a request.
ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ query }) => {
  const q = parseWith(priceQuerySchema, query, 'query');
  const { prices } = ledgerDependencies();
  const points =
    q.view === 'latest' ? await prices.latest(q) : await prices.history(q.gpuModel ? [q.gpuModel] : gpuModels, priceHistoryWindow(q, Date.now()), q);
  return { status: 200, body: { view: q.view, table: priceTable(points), points } };
});
