// Setup file (runs in workerd before each test file, after apply-migrations.ts): publishes the bundle
// the global setup built, with the loader's own publisher, into this test file's KV and D1.
import { env } from 'cloudflare:workers';
import { inject } from 'vitest';
import { publishBundle } from '../../loader/publish';
import { unpackBundle } from './bundle-transport';

await publishBundle(unpackBundle(inject('workerBundle')), { kv: env.KV, db: env.DB });
