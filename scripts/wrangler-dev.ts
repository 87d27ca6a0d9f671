// Starts and stops `wrangler dev` for tests and the bench: 127.0.0.1 only, explicit ports and persist
// directory, no telemetry, no interactive session. Each server runs in its own process group so that
// stopping it ends exactly the processes this run started (wrangler and its workerd children).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { ROOT } from '../loader/config';

export const WRANGLER_BIN = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');
export const MAIN_CONFIG = join(ROOT, 'wrangler.toml');

export interface DevServer {
  url: string;
  inspectorPort: number;
  /** wrangler's pid, which is also its process group's id. */
  pid: number;
  stop(): Promise<void>;
}

export interface DevOptions {
  /** wrangler.toml of the worker. */
  config: string;
  /** --persist-to directory (wrangler keeps its stores in <dir>/v3). */
  persistTo: string;
  /** Entry point instead of the config's `main` (the ops-counting wrapper). */
  script?: string;
  logFile: string;
  /** More `wrangler dev` arguments (e.g. --test-scheduled, --var NAME:VALUE). */
  extraArgs?: string[];
  /** URL path that must answer 200 before the server counts as ready. */
  readyPath?: string;
  timeoutMs?: number;
  /** CPU list (taskset -c syntax) the server and its workerd children run on; unset: any. */
  cpus?: string;
  /** Called just before the group is signalled; what it returns is called once the group has exited. */
  onStop?: (pid: number) => (() => void) | undefined;
}

/** wrangler offline: no telemetry, no fetch of Request.cf (it cannot reach Cloudflare from here). */
export const DEV_ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Process groups of servers still running: ended when this process exits, however it exits. */
const running = new Set<number>();
let cleanupInstalled = false;
function endGroupsOnExit(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const group of running) {
      try {
        process.kill(-group, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
}

/** Attempts at a start whose port was taken between freePort() and wrangler binding it. */
const PORT_RACE_ATTEMPTS = 3;

/**
 * Starts `wrangler dev` on free ports. A port found free can be taken before wrangler binds it (by
 * another server's workerd starting alongside): that start is retried on fresh ports.
 */
export async function startDev(options: DevOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevOnce(options);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= PORT_RACE_ATTEMPTS) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startDevOnce(options: DevOptions): Promise<DevServer> {
  endGroupsOnExit();
  const port = await freePort();
  const inspectorPort = await freePort();
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile);
  const args = [
    WRANGLER_BIN,
    'dev',
    ...(options.script ? [options.script] : []),
    '--config',
    options.config,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspectorPort),
    '--inspector-ip',
    '127.0.0.1',
    '--persist-to',
    options.persistTo,
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
    ...(options.extraArgs ?? []),
  ];
  // taskset execs node in place (same pid, so the process group below is still wrangler's), and
  // workerd inherits the affinity.
  const [command, commandArgs] = options.cpus ? ['taskset', ['-c', options.cpus, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, commandArgs, {
    cwd: ROOT,
    env: { ...DEV_ENV, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child.pid!);
  child.once('exit', () => running.delete(child.pid!));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let portTaken = false;
  const watchForPortRace = (chunk: Buffer) => {
    portTaken ||= chunk.includes('Address already in use');
  };
  child.stdout!.on('data', watchForPortRace);
  child.stderr!.on('data', watchForPortRace);
  const url = `http://127.0.0.1:${port}`;
  const server: DevServer = {
    url,
    inspectorPort,
    pid: child.pid!,
    stop: () => stopGroup(child, options.onStop),
  };
  try {
    await waitForAnswer(`${url}${options.readyPath ?? '/'}`, child, options.timeoutMs ?? 60_000, options.logFile, !!options.readyPath);
  } catch (error) {
    await server.stop();
    throw portTaken ? new PortTakenError(`a port was taken before wrangler dev bound it; see ${options.logFile}`) : error;
  }
  return server;
}

/** Polls until `url` answers (200 if strict), the process exits, or the timeout passes. */
export async function waitForAnswer(url: string, child: ChildProcess, timeoutMs: number, logFile: string, strict: boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}; see ${logFile}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (!strict || response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer${strict ? ' 200' : ''} within ${timeoutMs / 1000}s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopGroup(child: ChildProcess, onStop: DevOptions['onStop']): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const afterExit = onStop?.(child.pid!);
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
  afterExit?.();
}
