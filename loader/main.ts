// `npm run load -- [--data DIR] [--target local|remote] [--force]`
// Builds (or reuses) the data version for the current inputs and publishes it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCachedBundle, saveBundle } from './bundle-cache';
import { config as baseConfig, type LoaderConfig } from './config';
import { openLocalStores } from './local-store';
import { buildBundle, resolveInputs } from './pipeline';
import { consoleLog as log } from './progress';
import { publishBundle, readPointer } from './publish';

export interface LoadOptions {
  config?: LoaderConfig;
  target?: 'local' | 'remote';
  force?: boolean;
}

export async function load(options: LoadOptions = {}): Promise<{ version: string; published: boolean }> {
  const cfg = options.config ?? baseConfig;
  const t0 = performance.now();
  // Missing credentials should fail before a build of minutes, not after it.
  // Loaded only for a remote publish: it pulls in wrangler (~170 MB of RSS held through training).
  const remotePublish = options.target === 'remote' ? await import('./remote-publish') : undefined;
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
    const report = await remotePublish.publishRemoteFromEnv(bundle, { wranglerConfig: cfg.wranglerConfig, migrationsDir: cfg.migrationsDir, force: options.force, log: (m) => log(`  ${m}`), target: remote });
    log(`  publish done in ${((performance.now() - t1) / 1000).toFixed(1)}s (${report.kvWrites} KV writes)`);
    return { version: bundle.version, published: report.published };
  }
  const stores = await openLocalStores(cfg);
  try {
    // A pointer that cannot be resolved (a damaged store) does not stop the load: publishing repairs it.
    const live = await readPointer(stores.kv).catch(() => null);
    if (!options.force && live?.version === bundle.version) {
      log(`> local stores already serve version ${bundle.version}`);
      return { version: bundle.version, published: false };
    }
    const t1 = performance.now();
    log('> publish (local)');
    await publishBundle(bundle, stores, (m) => log(`  ${m}`));
    log(`  publish done in ${((performance.now() - t1) / 1000).toFixed(1)}s`);
  } finally {
    await stores.dispose();
  }
  log(`load complete in ${((performance.now() - t0) / 1000).toFixed(1)}s: version ${bundle.version}`);
  return { version: bundle.version, published: true };
}

function configFromArgs(dataDir: string | undefined): LoaderConfig {
  if (!dataDir) return baseConfig;
  const dir = resolve(dataDir);
  const summary = join(dir, 'movie_ratings_summary.csv.gz');
  return {
    ...baseConfig,
    titlesDir: join(dir, 'titles'),
    ratingsDir: join(dir, 'ratings'),
    summaryPath: existsSync(summary) ? summary : baseConfig.summaryPath,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      target: { type: 'string', default: 'local' },
      force: { type: 'boolean', default: false },
    },
  });
  if (values.target !== 'local' && values.target !== 'remote') {
    log(`--target must be local or remote, not ${values.target}`);
    process.exit(2);
  }
  load({ config: configFromArgs(values.data), target: values.target, force: values.force }).catch((err) => {
    log(`load failed, nothing published: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
