import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** `npm run bench [name...]`: runs each benchmark module's exported bench function. Ratios, not absolute times, are what to compare. */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const benches: Record<string, { file: string; fn: string }> = {
  ingest: { file: 'ingest.ts', fn: 'benchIngest' },
  agent: { file: 'agent.ts', fn: 'benchAgent' },
  normalize: { file: 'normalize.ts', fn: 'benchNormalize' },
  usage: { file: 'usage.ts', fn: 'benchUsage' },
  analysis: { file: 'analysis.ts', fn: 'benchAnalysis' },
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!benches[name]) {
    process.stderr.write(`unknown benchmark ${name}; choose from ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
}
for (const [name, { file, fn }] of Object.entries(benches)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const path = resolve(import.meta.dirname, file);
  if (!existsSync(path)) continue;
  const mod = await import(pathToFileURL(path).href);
  process.stdout.write(`\n=== ${name} (${process.version}) ===`);
  await mod[fn]();
}
