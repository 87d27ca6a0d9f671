// A publish in a child process, so a test can SIGKILL it midway: loads a cached bundle and publishes
// it into a persistence directory, announcing every KV write on stdout before it happens.
import { loadCachedBundle } from '../../loader/bundle-cache';
import { config } from '../../loader/config';
import { openLocalStores } from '../../loader/publish/local-stores';
import type { KVWriter } from '../../contract';
import { publishBundle } from '../../loader/publish/publish';

const [cacheDir, version, persistDir] = process.argv.slice(2);
const bundle = loadCachedBundle(cacheDir, version);
if (!bundle) throw new Error(`no cached bundle ${version} in ${cacheDir}`);
const stores = await openLocalStores(config, persistDir);
const kv = stores.kv;
const announcing: KVWriter = {
  get: kv.get.bind(kv) as KVWriter['get'],
  list: kv.list.bind(kv),
  delete: kv.delete.bind(kv),
  async put(key, value) {
    await kv.put(key, value);
    // Announced once written: the publish keeps several puts in flight, and the test must know which finished.
    process.stdout.write(`put ${key}\n`);
  },
};
await publishBundle(bundle, { kv: announcing, db: stores.db });
process.stdout.write('published\n');
await stores.dispose();
