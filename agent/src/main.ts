/**
 * Entry point of the bundle (`agent/dist/agent.mjs`, bin `compute-ledger-agent`).
 */
import { runAgent, EXIT } from './agent.js';
import { ConfigError, helpText, loadConfig } from './config.js';
import { createLogger, errorFields } from './log.js';

declare const __AGENT_VERSION__: string | undefined;
const VERSION = typeof __AGENT_VERSION__ === 'string' ? __AGENT_VERSION__ : 'dev';

async function main(): Promise<number> {
  const log = createLogger();
  let loaded;
  try {
    loaded = loadConfig({ argv: process.argv.slice(2), env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error('invalid configuration', { problems: err.problems });
      process.stderr.write('run with --help for the options\n');
      return EXIT.config;
    }
    throw err;
  }
  if (loaded.kind === 'help') {
    process.stdout.write(helpText());
    return EXIT.ok;
  }
  if (loaded.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  log.setLevel(loaded.config.logLevel);
  log.redact(loaded.config.token);
  process.on('uncaughtException', (err) => {
    log.error('uncaught exception', errorFields(err));
    process.exit(70);
  });
  process.on('unhandledRejection', (err) => {
    log.error('unhandled rejection', errorFields(err));
    process.exit(70);
  });
  return runAgent(loaded.config, log, VERSION);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'agent failed', ...errorFields(err) })}\n`,
    );
    process.exit(70);
  },
);
