import { join } from 'node:path';
import { loadTest } from './load-test';
import { HELLO_CONFIG, startDev } from './wrangler-dev';
const configs = { hello: HELLO_CONFIG, assets: '/tmp/hello-assets/wrangler.toml' };
for (let round = 0; round < 3; round++) {
  for (const [name, config] of Object.entries(configs)) {
    const server = await startDev({ config, persistTo: `/tmp/exp-state-${name}`, logFile: `/tmp/exp-${name}.log` });
    try {
      await loadTest(server.url, ['/get_count_platform?platform=netflix'], 32, 1);
      const r = await loadTest(server.url, ['/get_count_platform?platform=netflix'], 32, 5);
      console.log(round, name, r.rps, r.p50Ms, r.p99Ms);
    } finally { await server.stop(); }
  }
}
