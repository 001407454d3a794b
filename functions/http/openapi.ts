import { httpHandler } from '../../shared/middleware/http.js';
import { openApiDocument } from '../../shared/openapi.js';
import { routes } from '../../shared/routes.js';

const document = openApiDocument();

export const handler = httpHandler(routes.openapi, async () => ({ status: 200, body: document }));
