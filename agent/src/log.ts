/**
 * Structured JSON-lines logger to stderr. Secrets registered with `redact()` are scrubbed from every line, and keys that
 * name credentials are never printed.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEYS = /^(token|authorization|password|secret|ledgerToken|bearer)$/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Never print this value, wherever it shows up. */
  redact(secret: string | undefined): void;
  setLevel(level: LogLevel): void;
}

export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? { error: err.message, code } : { error: err.message };
  }
  return { error: String(err) };
}

export function createLogger(options: { level?: LogLevel; write?: (line: string) => void; component?: string } = {}): Logger {
  let threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const secrets: string[] = [];
  const scrub = (text: string): string => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join('[redacted]');
    return out;
  };
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
    if (options.component) record.component = options.component;
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        record[key] = SECRET_KEYS.test(key) ? '[redacted]' : value;
      }
    }
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      line = JSON.stringify({ time: record.time, level, msg, note: 'fields not serializable' });
    }
    write(`${scrub(line)}\n`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    redact(secret) {
      if (secret && secret.length >= 4 && !secrets.includes(secret)) {
        secrets.push(secret);
        // JSON escaping could change how the secret is printed; scrub that spelling too.
        const escaped = JSON.stringify(secret).slice(1, -1);
        if (escaped !== secret) secrets.push(escaped);
      }
    },
    setLevel(level) {
      threshold = LEVELS[level];
    },
  };
}
