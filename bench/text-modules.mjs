// Node's counterpart of wrangler.toml's Text rule, for bench scripts that import worker modules
// (router-cost.ts): a file of public/ imported from the worker is its text, not code to run.
//   node --import tsx --import ./bench/text-modules.mjs SCRIPT
// Registers itself as a module hook; the hooks run on their own thread, where it only exports `load`.
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

const TEXT_FILE = /\/public\/[^/]+\.(html|css|svg|js)$/;

export async function load(url, context, nextLoad) {
  if (!TEXT_FILE.test(url)) return nextLoad(url, context);
  const text = readFileSync(fileURLToPath(url), 'utf8');
  return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
}

if (isMainThread) register(import.meta.url);
