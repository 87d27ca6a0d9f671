// `npm run dev`: serve the worker on http://localhost:8787 from the local stores the loader filled.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEV_ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

export function startDev(extraArgs: string[] = []): Promise<number> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  // Local secrets (the POST /ratings token): start from the example so the write path works locally.
  if (!existsSync(`${root}.dev.vars`) && existsSync(`${root}.dev.vars.example`)) {
    copyFileSync(`${root}.dev.vars.example`, `${root}.dev.vars`);
    process.stderr.write('created .dev.vars from .dev.vars.example (local INGEST_TOKEN for POST /ratings)\n');
  }
  const wrangler = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));
  const child = spawn(process.execPath, [wrangler, 'dev', '--port', '8787', ...extraArgs], {
    cwd: root,
    env: DEV_ENV,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 0)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startDev(process.argv.slice(2)).then((code) => process.exit(code));
}
