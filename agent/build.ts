/**
 * Builds the agent into one self-contained ES module for plain Node 18+: `agent/dist/agent.mjs`.
 * Run with `npx tsx agent/build.ts`. Node built-ins only; nothing from outside `agent/` is bundled.
 */
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const agentDir = path.dirname(fileURLToPath(import.meta.url));

export const agentBundlePath = path.join(agentDir, 'dist', 'agent.mjs');

export async function buildAgent(options: { minify?: boolean } = {}): Promise<{ outfile: string; bytes: number }> {
  const { version } = JSON.parse(readFileSync(path.join(agentDir, 'package.json'), 'utf8')) as { version: string };
  const result = await build({
    entryPoints: [path.join(agentDir, 'src', 'main.ts')],
    outfile: agentBundlePath,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    minify: options.minify ?? false,
    sourcemap: false,
    legalComments: 'none',
    banner: { js: '#!/usr/bin/env node' },
    define: { __AGENT_VERSION__: JSON.stringify(version) },
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const outside = inputs.filter((p) => !path.resolve(p).startsWith(agentDir + path.sep));
  if (outside.length > 0) throw new Error(`the agent bundle must not include files outside agent/: ${outside.join(', ')}`);
  chmodSync(agentBundlePath, 0o755);
  const bytes = result.metafile.outputs[path.relative(process.cwd(), agentBundlePath)]?.bytes ?? readFileSync(agentBundlePath).length;
  return { outfile: agentBundlePath, bytes };
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  buildAgent().then(
    ({ outfile, bytes }) => process.stdout.write(`built ${path.relative(process.cwd(), outfile)} (${bytes} bytes)\n`),
    (err) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
