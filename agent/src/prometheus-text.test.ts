import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './prometheus-text.js';

describe('parsePrometheusText', () => {
  it('reads names, labels, values and keeps the value text', () => {
    const { samples, malformedLines } = parsePrometheusText(
      [
        '# HELP x help',
        '# TYPE x gauge',
        'x{a="1",b="two words"} 12.500000',
        'y 3 1700000000000',
        'z{gpu="0", UUID="GPU-1"} 9223372036854775794',
        '',
      ].join('\n'),
    );
    expect(malformedLines).toBe(0);
    expect(samples).toEqual([
      { name: 'x', labels: { a: '1', b: 'two words' }, value: 12.5, valueText: '12.500000' },
      { name: 'y', labels: {}, value: 3, valueText: '3' },
      { name: 'z', labels: { gpu: '0', UUID: 'GPU-1' }, value: 9223372036854775794, valueText: '9223372036854775794' },
    ]);
  });

  it('unescapes label values and accepts NaN and infinities', () => {
    const { samples } = parsePrometheusText('m{p="a\\"b\\\\c\\nd",q="{}, ="} NaN\nm{le="+Inf"} +Inf\nm -Inf\n');
    expect(samples[0]!.labels).toEqual({ p: 'a"b\\c\nd', q: '{}, =' });
    expect(Number.isNaN(samples[0]!.value)).toBe(true);
    expect(samples[1]!.value).toBe(Number.POSITIVE_INFINITY);
    expect(samples[2]!.value).toBe(Number.NEGATIVE_INFINITY);
  });

  it('skips and counts malformed lines, handles CRLF, filters by name', () => {
    const { samples, malformedLines } = parsePrometheusText('a{x="1" 1\r\nb{x="1"} notanumber\r\nc 1\r\nd 2\r\n', (n) => n !== 'd');
    expect(samples.map((s) => s.name)).toEqual(['c']);
    expect(malformedLines).toBe(2);
  });
});
