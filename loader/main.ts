// `npm run load -- [--data DIR] [--target local|remote] [--force] [--persist-to DIR]` (--help for all)
// Builds (or reuses) the data version for the current inputs and publishes it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PLATFORM_FILES, PLATFORMS } from '../contract';
import { loadCachedBundle, saveBundle } from './bundle-cache';
import { type Command, defineCommand, isMainModule, parseCommand, usageError } from './cli';
import { config as baseConfig, type LoaderConfig } from './config';
import { openLocalStores, publishLocally } from './publish/local-stores';
import { buildBundle, resolveInputs } from './pipeline';
import { consoleLog as log } from './progress';
import { settlePointer, writersLive } from '../contract';
import { collectGarbage } from './memory';

export interface LoadOptions {
  config?: LoaderConfig; // config.factorsDir: publish imported factors (--factors) instead of training
  target?: 'local' | 'remote';
  force?: boolean;
}

export async function load(options: LoadOptions = {}): Promise<{ version: string; published: boolean }> {
  const cfg = options.config ?? baseConfig;
  const t0 = performance.now();
  // Missing credentials should fail before a build of minutes, not after it.
  // Loaded only for a remote publish: the Cloudflare SDK need not be held through training.
  const remotePublish = options.target === 'remote' ? await import('./publish/remote') : undefined;
  const remote = remotePublish ? await remotePublish.resolveRemoteTarget(cfg.wranglerConfig) : undefined;
  const inputs = await resolveInputs(cfg, log);

  let bundle = options.force ? null : loadCachedBundle(cfg.cacheDir, inputs.version);
  if (bundle) {
    log(`> reusing the build of version ${inputs.version} (inputs unchanged)`);
  } else {
    const built = await buildBundle({ config: cfg, inputs, log });
    bundle = built.bundle;
    mkdirSync(cfg.outDir, { recursive: true });
    writeFileSync(join(cfg.outDir, 'data-quality.json'), JSON.stringify(built.qualityReport, null, 2));
    writeFileSync(join(cfg.outDir, 'data-quality.txt'), built.qualityText);
    writeFileSync(join(cfg.outDir, 'eda.html'), built.edaHtml);
    log(`  reports: ${join(cfg.outDir, 'data-quality.txt')}, ${join(cfg.outDir, 'eda.html')}`);
    saveBundle(cfg.cacheDir, bundle, cfg.keepCachedBundles);
  }

  if (remotePublish) {
    const t1 = performance.now();
    log('> publish (remote, Cloudflare API)');
    const report = await remotePublish.publishRemoteFromEnv(bundle, {
      wranglerConfig: cfg.wranglerConfig,
      migrationsDir: cfg.migrationsDir,
      force: options.force,
      log: (m) => log(`  ${m}`),
      target: remote,
    });
    log(`  publish done in ${((performance.now() - t1) / 1000).toFixed(1)}s (${report.kvWrites} KV writes)`);
    return { version: bundle.version, published: report.published };
  }
  collectGarbage(); // the build's model and columns, before the local stores start (docs/reference.md#loader-memory)
  const stores = await openLocalStores(cfg);
  try {
    // A load that died between its D1 claim and its KV put: D1 already names this version, KV not yet.
    // Finish that flip before deciding there is nothing to do.
    await settlePointer(stores).catch(() => null);
    // A pointer that cannot be resolved (a damaged store) does not stop the load: publishing repairs it.
    const live = await writersLive(stores).catch(() => null);
    if (!options.force && live?.version === bundle.version) {
      log(`> local stores already serve version ${bundle.version}`);
      return { version: bundle.version, published: false };
    }
    const t1 = performance.now();
    log('> publish (local)');
    await publishLocally(bundle, stores, (m) => log(`  ${m}`));
    log(`  publish done in ${((performance.now() - t1) / 1000).toFixed(1)}s`);
  } finally {
    await stores.dispose();
  }
  log(`load complete in ${((performance.now() - t0) / 1000).toFixed(1)}s: version ${bundle.version}`);
  return { version: bundle.version, published: true };
}

export const LOAD_COMMAND = defineCommand({
  invocation: 'npm run load --',
  summary:
    'Builds the data version of the catalogs and ratings (stand-in ratings if the data directory has none) and ' +
    'publishes it to the local stores `npm run dev` serves, or to Cloudflare. Unchanged inputs reuse the last build.',
  options: {
    data: { type: 'string', value: 'DIR', description: 'data directory holding titles/ (the four catalogs) and ratings/ (default: data/)' },
    target: {
      type: 'string',
      value: 'local|remote',
      default: 'local',
      description: 'publish to the local stores or to the Cloudflare account of CLOUDFLARE_API_TOKEN',
    },
    force: { type: 'boolean', default: false, description: 'rebuild and republish even when the inputs are unchanged' },
    factors: {
      type: 'string',
      value: 'DIR',
      description:
        'publish the user and title factors a Spark ALS job wrote (DIR/userFactors, DIR/itemFactors: Parquet) instead of training',
    },
    'persist-to': {
      type: 'string',
      value: 'DIR',
      description:
        'local stores in DIR/v3 (as `wrangler dev --persist-to DIR`), build cache and reports in DIR too (default: .wrangler/state)',
    },
  },
  examples: [
    'npm run load',
    'npm run load -- --data ~/catalog-data --force',
    'npm run load -- --factors ~/als-model',
    'CLOUDFLARE_API_TOKEN=... npm run load -- --target remote',
  ],
});

/**
 * The loader's configuration for a data directory, after checking that it holds the four catalogs: a
 * mistyped --data must fail before anything (a stand-in of hundreds of MB among them) is written.
 */
export function configFromArgs(dataDir: string | undefined, persistTo?: string): LoaderConfig {
  let cfg = baseConfig;
  if (dataDir !== undefined) {
    const dir = resolve(dataDir);
    const summary = join(dir, 'movie_ratings_summary.csv.gz');
    cfg = {
      ...cfg,
      titlesDir: join(dir, 'titles'),
      ratingsDir: join(dir, 'ratings'),
      summaryPath: existsSync(summary) ? summary : cfg.summaryPath,
    };
    if (!existsSync(dir)) throw new DataDirError(`--data ${dataDir}: no such directory`);
  }
  const missing = PLATFORMS.map((p) => PLATFORM_FILES[p]).filter((file) => !existsSync(join(cfg.titlesDir, file)));
  if (missing.length > 0) {
    throw new DataDirError(
      `${cfg.titlesDir} lacks ${missing.join(', ')}: a data directory holds titles/ with the four catalogs (${PLATFORMS.map((p) => PLATFORM_FILES[p]).join(', ')})`,
    );
  }
  if (persistTo !== undefined) {
    const dir = resolve(persistTo);
    cfg = { ...cfg, persistDir: join(dir, 'v3'), cacheDir: join(dir, 'bundles'), outDir: join(dir, 'out') };
  }
  return cfg;
}

/** A data directory the loader cannot use: a user's mistake, reported before anything is written. */
export class DataDirError extends Error {}

/** The configuration `make` builds from a command's options; a DataDirError is the user's mistake: usage and exit 2. */
export function configOrUsageError(command: Command, make: () => LoaderConfig): LoaderConfig {
  try {
    return make();
  } catch (err) {
    if (!(err instanceof DataDirError)) throw err;
    usageError(command, err.message);
  }
}

if (isMainModule(import.meta.url)) {
  const values = parseCommand(LOAD_COMMAND);
  if (values.target !== 'local' && values.target !== 'remote')
    usageError(LOAD_COMMAND, `--target must be local or remote, not ${JSON.stringify(values.target)}`);
  const cfg = configOrUsageError(LOAD_COMMAND, () => {
    const cfg = configFromArgs(values.data, values['persist-to']);
    if (values.factors === undefined) return cfg;
    const factorsDir = resolve(values.factors);
    if (!existsSync(factorsDir)) throw new DataDirError(`--factors ${values.factors}: no such directory`);
    return { ...cfg, factorsDir };
  });
  load({ config: cfg, target: values.target, force: values.force }).catch((err) => {
    log(`load failed, nothing published: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
