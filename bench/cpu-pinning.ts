// The API runs with the load generator and the servers on separate cores. Unpinned, the scheduler
// moves autocannon (this process) and workerd between the two cores of this machine, and a run's
// share of hello-world moved by ±15-36% from one run to the next (the bench's noise floor): each
// measurement drew its own placement. Pinned, both sides keep a core each, run after run.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface CpuPinning {
  /** CPU list (taskset -c syntax) of this process, which runs the load. */
  generator: string;
  /** CPU list of every wrangler dev server and its workerd children. */
  servers: string;
}

function taskset(args: string[]): string | null {
  try {
    return execFileSync('taskset', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** Half the cores each (the first half for the load), or null where there is one core or no taskset. */
export function cpuPinning(cpus = availableParallelism()): CpuPinning | null {
  if (cpus < 2 || taskset(['--version']) === null) return null;
  const half = Math.floor(cpus / 2);
  const list = (from: number, to: number) => (from === to ? String(from) : `${from}-${to}`);
  return { generator: list(0, half - 1), servers: list(half, cpus - 1) };
}

/** Pins every thread of this process to `cpus`; returns what puts the previous affinity back. */
export function pinThisProcess(cpus: string): () => void {
  const previous = affinityOf(process.pid);
  if (!previous || taskset(['-a', '-p', '-c', cpus, String(process.pid)]) === null) {
    throw new Error(`cannot pin this process to CPUs ${cpus} with taskset`);
  }
  return () => {
    taskset(['-a', '-p', '-c', previous, String(process.pid)]);
  };
}

/** The affinity list of a process, as taskset reports it (e.g. "1"), or null once it is gone. */
export function affinityOf(pid: number): string | null {
  return (
    taskset(['-p', '-c', String(pid)])
      ?.split(':')
      .pop()
      ?.trim() ?? null
  );
}
