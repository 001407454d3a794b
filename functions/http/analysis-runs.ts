import { ledgerDependencies } from '../../shared/dependencies.js';
import { analysisRunsQuerySchema } from '../../shared/domain/economics/economics-query.js';
import { parseWith } from '../../shared/errors.js';
import { httpHandler } from '../../shared/middleware/http.js';

ledgerDependencies();

export const handler = httpHandler({ scope: 'read' }, async ({ query }) => {
  const q = parseWith(analysisRunsQuerySchema, query, 'query');
  return { status: 200, body: { runs: await ledgerDependencies().economics.runs(q.limit) } };
});
