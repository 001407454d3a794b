import { httpHandler } from '../../shared/middleware/http.js';
import { openApiDocument } from '../../shared/openapi.js';

const document = openApiDocument();

export const handler = httpHandler({ scope: null }, async () => ({ status: 200, body: document }));
