// Setup file (runs in workerd before each test file, after apply-migrations.ts): publishes the bundle
// the global setup built, with the loader's own publisher, into this test file's KV and D1.
import { env } from 'cloudflare:workers';
import { publishBundle } from '../../loader/publish/publish';
import { testBundle } from './bundle-transport';

await publishBundle(await testBundle(), { kv: env.KV, db: env.DB });
