import { join } from 'node:path';
import { readCatalog } from '../loader/catalog';
import { config } from '../loader/config';
import { endpointMixes, ENDPOINT_ORDER, NEW_USER_IDS, sampleUserIds } from './endpoint-mixes';
import { profileIsolate } from './isolate-cpu';
import { BENCH_DIR, ratingsDir, scaleDir } from './paths';
import { HELLO_CONFIG, MAIN_CONFIG } from './wrangler-dev';
const only = process.argv.slice(2);
const { titles } = await readCatalog(config.titlesDir);
const mixes = endpointMixes(titles, await sampleUserIds(ratingsDir(1)), await sampleUserIds(ratingsDir(1), NEW_USER_IDS, 13));
const hello = await profileIsolate({ config: HELLO_CONFIG, persistTo: join(BENCH_DIR, 'hello-state'), logFile: '/tmp/p-hello.log' }, 'hello', ['/'], 3);
console.log('hello', JSON.stringify(hello));
for (const e of ENDPOINT_ORDER) {
  if (only.length && !only.includes(e)) continue;
  const r = await profileIsolate({ config: MAIN_CONFIG, persistTo: join(scaleDir(1), 'state'), logFile: '/tmp/p-main.log', readyPath: '/health' }, e, mixes[e], 3);
  console.log(e, JSON.stringify(r));
}
