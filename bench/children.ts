// Runs a bench script in its own Node process (TypeScript through tsx's loader), so its memory and CPU
// are its own; optionally under `node --cpu-prof` (one .cpuprofile per thread).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { ROOT } from '../loader/config';

export interface ChildResult {
  stdout: string;
  seconds: number;
}

/** With profileDir, every thread of the child writes its own CPU.*.cpuprofile there. */
export function runScript(script: string, args: string[], options: { profileDir?: string; imports?: string[] } = {}): Promise<ChildResult> {
  const nodeArgs = ['--import', 'tsx', ...(options.imports ?? []).flatMap((m) => ['--import', m])];
  if (options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', options.profileDir);
  }
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve({ stdout, seconds: (performance.now() - t0) / 1000 });
      else reject(new Error(`${script} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`));
    });
  });
}
