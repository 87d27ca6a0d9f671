// `npm start`: stand-in ratings if needed, the whole load with progress, local publish, then
// `wrangler dev` (scripts/dev.ts). Unchanged inputs reuse the previous build.
import { defineCommand, parseCommand } from '../loader/cli';
import { configFromArgs, configOrUsageError, load, LOAD_COMMAND } from '../loader/main';
import { PORT_OPTION, portFrom, requireFreePort, startDev } from './dev';

const START_COMMAND = defineCommand({
  invocation: 'npm start --',
  summary:
    'Loads the data (stand-in ratings if there are none; unchanged inputs reuse the last build), publishes it to the ' +
    'local stores and serves the worker with `wrangler dev`. The cron can be fired by hand: GET /__scheduled.',
  options: { ...PORT_OPTION, data: LOAD_COMMAND.options.data, force: LOAD_COMMAND.options.force },
  examples: ['npm start', 'npm start -- --port 8788', 'PORT=9000 npm start'],
});

const values = parseCommand(START_COMMAND);
const port = portFrom(START_COMMAND, values.port);
// Checked before a minute of loading, not after it.
await requireFreePort(port, 'npm start');
const config = configOrUsageError(START_COMMAND, () => configFromArgs(values.data));
const t0 = performance.now();
const { version } = await load({ config, target: 'local', force: values.force }).catch((err) => {
  process.stderr.write(`load failed, nothing published: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
process.stderr.write(`data version ${version} ready in ${((performance.now() - t0) / 1000).toFixed(1)}s\n`);
process.exit(await startDev(port));
