import { badRequest } from '../../errors.js';

/** CSV as exports write it: RFC 4180 quoting, spreadsheet formulas defused, bounded to what one answer can carry. */

/** A cell: quoted when needed; text that a spreadsheet would read as a formula gets a leading `'`. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Quote when needed, and defuse spreadsheet formulas in text cells.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Lambda answers at most 6 MB; past this the client is asked to narrow the window. */
export const MAX_CSV_BYTES = 5_000_000;

/**
 * Lines added one by one under a header, refused with a 400 naming `from` once they would pass `maxBytes`
 * (`narrow` says how: `name a provider`, `name a scopeKind`).
 */
export class BoundedCsv {
  private readonly parts: string[];
  private bytes: number;

  constructor(
    header: string,
    private readonly narrow: string,
    private readonly maxBytes = MAX_CSV_BYTES,
  ) {
    this.parts = [header];
    this.bytes = Buffer.byteLength(header);
  }

  add(line: string): void {
    this.bytes += Buffer.byteLength(line);
    if (this.bytes > this.maxBytes) {
      throw badRequest(`from: the export is over ${this.maxBytes} bytes; narrow the window or ${this.narrow}`, { path: 'from' });
    }
    this.parts.push(line);
  }

  text(): string {
    return this.parts.join('');
  }
}
