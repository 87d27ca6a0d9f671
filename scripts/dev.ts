// `npm run dev`: serve the worker from the local stores the loader filled, with scheduled events that
// can be fired by hand (GET /__scheduled runs the cron's fold).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { defineCommand, isMainModule, parseCommand, usageError, type Command } from '../loader/cli';
import { DEV_ENV, WRANGLER_BIN } from './wrangler-dev';

export const DEFAULT_PORT = 8787;

/** The --port option of `npm start` and `npm run dev` (PORT in the environment otherwise). */
export const PORT_OPTION = {
  port: { type: 'string', value: 'N', description: `port to serve on (default: $PORT, else ${DEFAULT_PORT})` },
} as const;

export const DEV_COMMAND = defineCommand({
  invocation: 'npm run dev --',
  summary:
    'Serves the worker with `wrangler dev` from the local stores `npm run load` filled. The cron can be fired by hand: GET /__scheduled.',
  options: PORT_OPTION,
  examples: [
    'npm run dev',
    'npm run dev -- --port 8788',
    "curl 'http://localhost:8787/__scheduled'   # fire the cron (fold posted ratings)",
  ],
});

/** The port from --port or PORT, or a usage error naming the bad value. */
export function portFrom(command: Command, flag: string | undefined): number {
  const raw = flag ?? process.env.PORT;
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535)
    usageError(command, `${flag !== undefined ? '--port' : 'PORT'} must be a port number (1-65535), not ${JSON.stringify(raw)}`);
  return port;
}

/** Whether something already listens on `port` (any address): wrangler would fail on it with a stack trace. */
export function portIsBusy(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(true) : reject(error),
    );
    probe.listen(port, () => probe.close(() => resolve(false)));
  });
}

/** Exits with one line when `port` is taken: which port, and how to pick another. */
export async function requireFreePort(port: number, invocation: string): Promise<void> {
  if (!(await portIsBusy(port))) return;
  process.stderr.write(
    `port ${port} is already in use (another server?); pick another: ${invocation} -- --port ${port + 1}  (or PORT=${port + 1} ${invocation})\n`,
  );
  process.exit(1);
}

export function startDev(port: number): Promise<number> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  // Local secrets (the POST /ratings token): start from the example so the write path works locally.
  if (!existsSync(`${root}.dev.vars`) && existsSync(`${root}.dev.vars.example`)) {
    copyFileSync(`${root}.dev.vars.example`, `${root}.dev.vars`);
    process.stderr.write('created .dev.vars from .dev.vars.example (local INGEST_TOKEN for POST /ratings)\n');
  }
  const url = `http://localhost:${port}`;
  process.stderr.write(`serving ${url} (UI ${url}/, API docs ${url}/docs); fire the cron with: curl '${url}/__scheduled'\n`);
  // --test-scheduled: GET /__scheduled runs the scheduled handler (the fold) on demand.
  const child = spawn(process.execPath, [WRANGLER_BIN, 'dev', '--port', String(port), '--test-scheduled'], {
    cwd: root,
    env: DEV_ENV,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 0)));
}

if (isMainModule(import.meta.url)) {
  const values = parseCommand(DEV_COMMAND);
  const port = portFrom(DEV_COMMAND, values.port);
  await requireFreePort(port, 'npm run dev');
  process.exit(await startDev(port));
}
