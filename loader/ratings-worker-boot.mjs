// Worker threads do not inherit tsx's loader (neither under `npx tsx` nor under vitest), so each worker
// registers it before loading the TypeScript worker module.
import { register } from 'tsx/esm/api';

register();
await import('./ratings-worker.ts');
