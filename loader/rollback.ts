// `npm run rollback [-- --target local|remote] [--to VERSION | --list]`: puts a previously published
// version back live (default: the one before the live one), in the local stores or, with --target
// remote, in the Cloudflare account the environment names (as `load --target remote` does). Kept
// versions: see KEEP_PREVIOUS_VERSIONS.
import { defineCommand, parseCommand, usageError } from './cli';
import { config } from './config';
import { openLocalStores } from './publish/local-stores';
import { consoleLog as log } from './progress';
import { readHistory, writersLive, type Stores } from '../contract';
import { rollback } from './publish/publish';
import { openRemoteStores } from './publish/remote-stores';

const ROLLBACK_COMMAND = defineCommand({
  invocation: 'npm run rollback --',
  summary: 'Puts a previously published data version back live (default: the one before the live one), or lists the versions kept.',
  options: {
    to: { type: 'string', value: 'VERSION', description: 'the version to put back (see --list)' },
    list: { type: 'boolean', default: false, description: 'list the kept versions, the live one marked *, and change nothing' },
    target: {
      type: 'string',
      value: 'local|remote',
      default: 'local',
      description: 'the local stores, or the Cloudflare account of CLOUDFLARE_API_TOKEN',
    },
  },
  examples: ['npm run rollback -- --list', 'npm run rollback', 'npm run rollback -- --to 3f2a9c1e0b7d'],
});

const values = parseCommand(ROLLBACK_COMMAND);
if (values.target !== 'local' && values.target !== 'remote')
  usageError(ROLLBACK_COMMAND, `--target must be local or remote, not ${JSON.stringify(values.target)}`);
if (values.list && values.to !== undefined) usageError(ROLLBACK_COMMAND, '--list and --to cannot be combined');

let stores: Stores;
let dispose = async () => {};
let redact = (text: string) => text;
if (values.target === 'remote') {
  try {
    const remote = await openRemoteStores(config.wranglerConfig, (m) => log(`  ${m}`));
    ({ stores } = remote);
    redact = (text) => remote.client.redact(text);
    log(
      `remote: account ${remote.target.accountId}, KV namespace ${remote.target.kvNamespaceId}, D1 database ${remote.target.d1DatabaseId}`,
    );
  } catch (err) {
    log(`rollback failed, nothing changed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
} else {
  const local = await openLocalStores(config);
  stores = local;
  dispose = () => local.dispose();
}

try {
  const live = await writersLive(stores);
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
