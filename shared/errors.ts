import type { z } from 'zod';

/**
 * The one error type a client may see. Anything else thrown is an internal error and answers 500 without
 * internals. The HTTP middleware is the only place that turns these into responses.
 */
export class LedgerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}

export const badRequest = (message: string, details?: unknown) => new LedgerError(400, 'bad_request', message, details);
export const unauthorized = (message: string) =>
  new LedgerError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer realm="compute-ledger"' });
export const forbidden = (message: string) => new LedgerError(403, 'forbidden', message);
export const notFound = (message: string) => new LedgerError(404, 'not_found', message);
export const conflict = (message: string, details?: unknown) => new LedgerError(409, 'conflict', message, details);
export const payloadTooLarge = (message: string) => new LedgerError(413, 'payload_too_large', message);
export const unsupportedMediaType = (message: string) => new LedgerError(415, 'unsupported_media_type', message);

export interface FieldIssue {
  path: string;
  message: string;
  code: string;
}

/** `samples[3].fields.DCGM_FI_DEV_GPU_UTIL` style path, readable in a message. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(body)' : out;
}

export function validationError(error: z.ZodError, where = 'body'): LedgerError {
  const issues: FieldIssue[] = error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
    code: issue.code,
  }));
  const shown = issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return new LedgerError(400, 'validation_failed', `Invalid ${where}: ${shown.join('; ')}${more}`, { issues });
}

/** Parse with a zod schema; a failure becomes a 400 that names the field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}
