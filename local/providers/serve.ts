import { startLocalProviders } from './index.js';

/**
 * Runs the local provider server on its own: `npx tsx local/providers/serve.ts [--now ISO] [--seed N]
 * [--bigquery-rows N]`. Prints one JSON line with the endpoint variables, then serves until stopped.
 */
function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const providers = await startLocalProviders({
  now: argument('now'),
  seed: argument('seed') ? Number(argument('seed')) : undefined,
  bigQuerySyntheticRows: argument('bigquery-rows') ? Number(argument('bigquery-rows')) : undefined,
  throttleOnePagePerProvider: !process.argv.includes('--no-throttle'),
});
process.stdout.write(`${JSON.stringify({ endpoints: providers.endpoints, accounts: providers.accounts })}\n`);
const stop = () => void providers.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
