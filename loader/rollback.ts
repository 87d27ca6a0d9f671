// `npm run rollback [-- --target local|remote] [--to VERSION | --list]`: puts a previously published
// version back live (default: the one before the live one), in the local stores or, with --target
// remote, in the Cloudflare account the environment names (as `load --target remote` does). Kept
// versions: see KEEP_PREVIOUS_VERSIONS.
import { parseArgs } from 'node:util';
import { config } from './config';
import { openLocalStores } from './local-store';
import { consoleLog as log } from './progress';
import { readHistory, readPointer, rollback, type Stores } from './publish';
import { openRemoteStores } from './remote-stores';

const { values } = parseArgs({
  options: { to: { type: 'string' }, list: { type: 'boolean', default: false }, target: { type: 'string', default: 'local' } },
});

let stores: Stores;
let dispose = async () => {};
let redact = (text: string) => text;
if (values.target === 'remote') {
  try {
    const remote = await openRemoteStores(config.wranglerConfig, (m) => log(`  ${m}`));
    ({ stores } = remote);
    redact = (text) => remote.api.redact(text);
    log(`remote: account ${remote.target.accountId}, KV namespace ${remote.target.kvNamespaceId}, D1 database ${remote.target.d1DatabaseId}`);
  } catch (err) {
    log(`rollback failed, nothing changed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
} else if (values.target === 'local') {
  const local = await openLocalStores(config);
  stores = local;
  dispose = () => local.dispose();
} else {
  log(`--target must be local or remote, not ${values.target}`);
  process.exit(1);
}

try {
  const live = await readPointer(stores.kv);
  if (values.list) {
    for (const v of (await readHistory(stores.kv)).versions) {
      log(`${v.version === live?.version ? '*' : ' '} ${v.version}  published ${v.published_at}`);
    }
  } else {
    const pointer = await rollback(stores, values.to);
    log(`rolled back: ${live?.version ?? '(none)'} -> ${pointer.version} (built ${pointer.built_at})`);
  }
} catch (err) {
  log(`rollback failed, nothing changed: ${redact(err instanceof Error ? err.message : String(err))}`);
  process.exitCode = 1;
} finally {
  await dispose();
}
