// Entry of the SGD worker threads. Workers do not inherit a TypeScript loader under every runner
// (vitest runs workers without tsx), so this plain module loads the TypeScript worker through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./mf-worker.ts', import.meta.url);
