// Entry of the loader's worker threads. Workers do not inherit a TypeScript loader under every
// runner (vitest starts them without tsx), so this plain module loads the TypeScript entry named in
// workerData.entry (a path relative to this file) through tsx.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
