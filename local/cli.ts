import './local-logging.js';
import { collectCommand, collectUsage } from './cli-collect.js';
import { tokensCommand, UsageError } from './cli-tokens.js';
import { connectStore, type StoreConnection } from './store-connection.js';

/** `ledger <command>`: administration against the store `npm start` uses (or LEDGER_DYNAMODB_ENDPOINT). */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

type Command = (argv: string[], store: StoreConnection, out: (line: string) => void) => Promise<number>;

export const commands: Record<string, { run: Command; usage: string }> = {
  tokens: { run: tokensCommand, usage: 'tokens create --name <name> --scopes ingest,read,admin | tokens list | tokens revoke <key id>' },
  collect: { run: collectCommand, usage: collectUsage },
};

function usage(): string {
  return ['usage: ledger <command>', ...Object.values(commands).map((c) => `  ledger ${c.usage}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`${name ? `unknown command: ${name}\n` : ''}${usage()}\n`);
    return 2;
  }
  let store: StoreConnection | undefined;
  try {
    store = await connectStore();
    return await command.run(rest, store, (line) => process.stdout.write(`${line}\n`));
  } catch (error) {
    process.stderr.write(`ledger ${name}: ${(error as Error).message}\n`);
    if (error instanceof UsageError) process.stderr.write(`usage: ledger ${command.usage}\n`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    await store?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
