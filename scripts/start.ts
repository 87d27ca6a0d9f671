// `npm start`: stand-in ratings if needed, the whole load with progress, local publish, then
// `wrangler dev` on http://localhost:8787. Unchanged inputs reuse the previous build.
import { load } from '../loader/main';
import { startDev } from './dev';

const t0 = performance.now();
const { version } = await load({ target: 'local' }).catch((err) => {
  process.stderr.write(`load failed, nothing published: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
process.stderr.write(`data version ${version} ready in ${((performance.now() - t0) / 1000).toFixed(1)}s; starting wrangler dev on http://localhost:8787\n`);
process.exit(await startDev(process.argv.slice(2)));
