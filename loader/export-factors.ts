// `npm run export-factors -- --out DIR [--data DIR]`: trains the built-in model on the load's inputs
// and writes its factors in Spark ALS's Parquet layout (docs/reference.md#factors-trained-elsewhere),
// so `npm run load -- --factors DIR` publishes the same model without training, or another tool reads it.
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineCommand, isMainModule, parseCommand, usageError } from './cli';
import { configFromArgs, configOrUsageError } from './main';
import { buildBundle } from './pipeline';
import { consoleLog as log } from './progress';
import { writeModelFactors } from './recommender/export-factors';

const EXPORT_FACTORS_COMMAND = defineCommand({
  invocation: 'npm run export-factors --',
  summary:
    "Trains the built-in recommender on the load's inputs and writes its user and title factors as Spark MLlib ALS writes them " +
    '(OUT/userFactors and OUT/itemFactors: Parquet, columns id int and features array<float>), with the biases as constant-one columns.',
  options: {
    out: { type: 'string', value: 'DIR', description: 'output directory (required; must be empty or absent)' },
    data: { type: 'string', value: 'DIR', description: 'data directory holding titles/ and ratings/ (default: data/)' },
  },
  examples: ['npm run export-factors -- --out /tmp/factors && npm run load -- --factors /tmp/factors'],
});

if (isMainModule(import.meta.url)) {
  const values = parseCommand(EXPORT_FACTORS_COMMAND);
  if (!values.out) usageError(EXPORT_FACTORS_COMMAND, '--out DIR is required');
  const out = resolve(values.out);
  if (existsSync(out) && readdirSync(out).length > 0) usageError(EXPORT_FACTORS_COMMAND, `--out ${values.out}: not empty`);
  const cfg = configOrUsageError(EXPORT_FACTORS_COMMAND, () => configFromArgs(values.data));
  buildBundle({ config: cfg, log })
    .then(({ recommender, bundle }) => {
      writeModelFactors(out, recommender, bundle.titles);
      log(`factors written to ${out}/userFactors and ${out}/itemFactors (rank ${recommender.mf.k + 5})`);
    })
    .catch((err: unknown) => {
      log(`export-factors failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
