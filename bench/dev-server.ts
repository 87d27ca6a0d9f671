// `wrangler dev` for the bench: the shared launcher (scripts/wrangler-dev.ts) plus what only the bench
// needs: the hello-world worker it compares against, the workerd process to profile, and the servers'
// CPU kept out of the bench's "other work on this machine" figure.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../loader/config';
import { startDev, type DevOptions, type DevServer } from '../scripts/wrangler-dev';
import { addUnreapedChildCpu, processGroupCpuSeconds, reapedChildrenCpuSeconds } from './machine';
import { commandLine, parentPid } from './proc-memory';

export { DEV_ENV, MAIN_CONFIG, type DevOptions } from '../scripts/wrangler-dev';
export const HELLO_CONFIG = join(ROOT, 'bench/hello/wrangler.toml');

export interface BenchServer extends DevServer {
  /** The workerd process running the worker itself (not wrangler's proxy in front of it). */
  workerPid(): number | null;
}

export async function startBenchDev(options: DevOptions): Promise<BenchServer> {
  const server = await startDev({
    ...options,
    // What the group used, less what comes back to this process by reaping (workerd is often reaped by init instead).
    onStop: (pid) => {
      const groupCpuS = processGroupCpuSeconds(pid);
      const reapedBefore = reapedChildrenCpuSeconds();
      return () => addUnreapedChildCpu(groupCpuS - (reapedChildrenCpuSeconds() - reapedBefore));
    },
  });
  return { ...server, workerPid: () => findWorkerd(server.pid) };
}

/** The workerd descendant of `root` that has the inspector attached: the one running the user worker. */
function findWorkerd(root: number): number | null {
  const pids = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
  const isDescendant = (pid: number): boolean => {
    for (let p: number | null = pid, hops = 0; p !== null && p > 1 && hops < 10; p = parentPid(p), hops++) {
      if (p === root) return true;
    }
    return false;
  };
  return pids.find((pid) => /workerd serve .*--inspector-addr/.test(commandLine(pid)) && isDescendant(pid)) ?? null;
}
