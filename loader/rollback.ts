// `npm run rollback [-- --to VERSION]`: puts a previously published version back live in the local
// stores (default: the one before the live one). Kept versions: see KEEP_PREVIOUS_VERSIONS.
import { parseArgs } from 'node:util';
import { config } from './config';
import { openLocalStores } from './local-store';
import { consoleLog as log } from './progress';
import { readHistory, readPointer, rollback } from './publish';

const { values } = parseArgs({ options: { to: { type: 'string' }, list: { type: 'boolean', default: false } } });
const stores = await openLocalStores(config);
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
  log(`rollback failed, nothing changed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await stores.dispose();
}
