/** Test-only: read files from agent/fixtures. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(name: string): string {
  return readFileSync(`${FIXTURES_DIR}${name}`, 'utf8');
}
