import { ledgerDependencies } from '../../shared/dependencies.js';
import { gpuModels } from '../../shared/domain/providers/gpu-catalog.js';
import { priceHistoryWindow, priceTable } from '../../shared/domain/market/price-query.js';
import { httpHandler } from '../../shared/middleware/http.js';
import { routes } from '../../shared/routes.js';

export const handler = httpHandler(routes.prices, async ({ query: q }) => {
  const { prices } = ledgerDependencies();
  const points =
    q.view === 'latest'
      ? await prices.latest(q)
      : await prices.history(q.gpuModel ? [q.gpuModel] : gpuModels, priceHistoryWindow(q, Date.now()), q);
  return { status: 200, body: { view: q.view, table: priceTable(points), points } };
});
