/**
 * Talks to the worker's isolate through wrangler dev's inspector (Chrome DevTools protocol). Node 20
 * has WebSocket only behind --experimental-websocket, so this runs as its own process:
 *   node --experimental-websocket --import tsx bench/inspector.ts heap --port 9229 [--gc]
 *     -> {"usedSize":..., "totalSize":..., "backingStorageSize":...}   (the isolate's memory, bytes)
 *     --gc: collect garbage first. workerd does not answer HeapProfiler.collectGarbage, but a heap
 *     snapshot starts with a full GC; the snapshot itself (several MB of chunks) is discarded.
 *   node --experimental-websocket --import tsx bench/inspector.ts profile --port 9229 --out f.cpuprofile
 *     -> prints "started" once the CPU profiler runs; profiles until stdin closes or says "stop".
 * wrangler's inspector proxy wants an Origin header from a non-browser client.
 */
import { isMainModule } from '../loader/cli';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CdpResponse {
  id?: number;
  result?: Record<string, unknown>;
  error?: { message: string };
}

class Cdp {
  private next = 1;
  private pending = new Map<number, (m: CdpResponse) => void>();
  private constructor(private ws: WebSocket) {
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as CdpResponse;
      // Events (snapshot chunks among them) have no id. workerd answers some commands (Profiler.enable,
      // Profiler.start, HeapProfiler.takeHeapSnapshot) by echoing them without a result.
      if (message.id === undefined) return;
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    };
  }

  static open(port: number): Promise<Cdp> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { Origin: 'http://localhost' } } as never);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new Cdp(ws));
      ws.onerror = () => reject(new Error(`inspector on 127.0.0.1:${port} refused the connection`));
    });
  }

  send(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer in ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`${method}: ${m.error.message}`));
        else resolve(m.result ?? {});
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { port: { type: 'string' }, out: { type: 'string' }, gc: { type: 'boolean', default: false } },
  });
  const port = Number(values.port);
  if (!port) throw new Error('--port is required');
  const cdp = await Cdp.open(port);
  if (positionals[0] === 'heap') {
    if (values.gc) await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, 120_000);
    console.log(JSON.stringify(await cdp.send('Runtime.getHeapUsage')));
  } else if (positionals[0] === 'profile') {
    if (!values.out) throw new Error('--out is required');
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    console.log('started');
    await new Promise<void>((resolve) => {
      process.stdin.on('data', (d) => String(d).includes('stop') && resolve());
      process.stdin.on('end', resolve);
    });
    const { profile } = (await cdp.send('Profiler.stop', {}, 120_000)) ?? {};
    // workerd sometimes answers the stop without a profile (e.g. after the isolate was replaced): a
    // missing diagnostic, not a failed bench.
    if (profile) writeFileSync(values.out, JSON.stringify(profile));
    else console.error(`no profile returned for ${values.out}; skipped`);
  } else {
    throw new Error(`unknown command ${positionals[0]}: heap | profile`);
  }
  cdp.close();
}

const SELF = fileURLToPath(import.meta.url);

function inspectorProcess(args: string[]) {
  return spawn(process.execPath, ['--experimental-websocket', '--no-warnings', '--import', 'tsx', SELF, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

export interface HeapUsage {
  usedSize: number;
  totalSize: number;
  embedderHeapUsedSize?: number;
  backingStorageSize?: number;
}

/** Memory of the worker's isolate (bytes), through a short-lived inspector client; after a full GC with gc. */
export function isolateHeap(port: number, gc = false): Promise<HeapUsage> {
  const child = inspectorProcess(['heap', '--port', String(port), ...(gc ? ['--gc'] : [])]);
  child.stdin!.end();
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`inspector heap probe exited with ${code}`)))),
  );
}

/** Starts the isolate's CPU profiler; the returned stop() writes the profile to `out`. */
export async function startIsolateProfile(port: number, out: string): Promise<() => Promise<void>> {
  const child = inspectorProcess(['profile', '--port', String(port), '--out', out]);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('started') && resolve());
    void exited.then((code) => reject(new Error(`inspector profiler exited with ${code}`)));
  });
  return async () => {
    child.stdin!.end('stop\n');
    const code = await exited;
    if (code !== 0) throw new Error(`inspector profiler exited with ${code}`);
  };
}

if (isMainModule(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
