/**
 * A small parser for the Prometheus text exposition format (version 0.0.4), enough for dcgm-exporter and vLLM pages.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The value exactly as printed (dcgm-exporter prints doubles with "%f", integers with "%d"). */
  valueText: string;
}

function parseValue(text: string): number {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    default:
      return text === '' ? Number.NaN : Number(text);
  }
}

/** Parses `{a="x",b="y"}` starting at `start` (the `{`); returns the labels and the index after `}`, or null when malformed. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | null {
  const labels: Record<string, string> = {};
  let i = start + 1;
  const n = line.length;
  for (;;) {
    while (i < n && (line[i] === ' ' || line[i] === ',' || line[i] === '\t')) i++;
    if (i >= n) return null;
    if (line[i] === '}') return { labels, end: i + 1 };
    const nameStart = i;
    while (i < n && line[i] !== '=' && line[i] !== ' ' && line[i] !== '}') i++;
    const name = line.slice(nameStart, i);
    while (i < n && line[i] === ' ') i++;
    if (line[i] !== '=' || name === '') return null;
    i++;
    while (i < n && line[i] === ' ') i++;
    if (line[i] !== '"') return null;
    i++;
    let value = '';
    let chunkStart = i;
    for (;;) {
      if (i >= n) return null;
      const c = line[i];
      if (c === '"') break;
      if (c === '\\') {
        value += line.slice(chunkStart, i);
        const next = line[i + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
        chunkStart = i;
        continue;
      }
      i++;
    }
    value += line.slice(chunkStart, i);
    labels[name] = value;
    i++;
  }
}

/**
 * Parse exposition text. `accept(name)` can skip metrics early (no label parsing for metrics nobody wants).
 * Malformed lines are skipped and counted.
 */
export function parsePrometheusText(
  text: string,
  accept: (name: string) => boolean = () => true,
): { samples: PromSample[]; malformedLines: number } {
  const samples: PromSample[] = [];
  let malformedLines = 0;
  let lineStart = 0;
  const length = text.length;
  while (lineStart < length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = length;
    let line = text.slice(lineStart, lineEnd);
    lineStart = lineEnd + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    line = line.trim();
    if (line === '' || line[0] === '#') continue;
    let nameEnd = 0;
    while (nameEnd < line.length && line[nameEnd] !== '{' && line[nameEnd] !== ' ' && line[nameEnd] !== '\t') nameEnd++;
    const name = line.slice(0, nameEnd);
    if (!accept(name)) continue;
    let labels: Record<string, string> = {};
    let rest: string;
    if (line[nameEnd] === '{') {
      const parsed = parseLabels(line, nameEnd);
      if (!parsed) {
        malformedLines++;
        continue;
      }
      labels = parsed.labels;
      rest = line.slice(parsed.end);
    } else {
      rest = line.slice(nameEnd);
    }
    const parts = rest.trim().split(/\s+/);
    const valueText = parts[0] ?? '';
    const value = parseValue(valueText);
    if (name === '' || (Number.isNaN(value) && valueText !== 'NaN')) {
      malformedLines++;
      continue;
    }
    samples.push({ name, labels, value, valueText });
  }
  return { samples, malformedLines };
}
