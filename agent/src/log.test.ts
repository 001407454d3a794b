import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

describe('createLogger', () => {
  it('writes one JSON object per line and never prints a redacted secret', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    log.redact('s3cr3t-"token"');
    log.info('sending', { token: 'anything', header: 'Bearer s3cr3t-"token"', nested: { note: 'x s3cr3t-"token" y' } });
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({
      level: 'info',
      msg: 'sending',
      token: '[redacted]',
      header: 'Bearer [redacted]',
      nested: { note: 'x [redacted] y' },
    });
    expect(lines[0]).not.toContain('s3cr3t');
  });
});
