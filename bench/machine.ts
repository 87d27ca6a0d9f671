// What the numbers were measured on, and how busy the machine was (other work skews every number).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { WRANGLER_BIN } from './paths';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  wrangler: string;
  workerd: string;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  const wranglerVersion = execFileSync(process.execPath, [WRANGLER_BIN, '--version'], { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } }).trim().split('\n').pop()!;
  return {
    nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    wrangler: wranglerVersion.replace(/^[^\d]*/, ''),
    workerd: packageVersion('@cloudflare/workerd-linux-64'),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  };
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface LoadSnapshot {
  at: string;
  uptime: string;
  loadavg: [number, number, number];
}

export function loadSnapshot(): LoadSnapshot {
  const [a, b, c] = loadavg().map((x) => Math.round(x * 100) / 100);
  return { at: new Date().toISOString(), uptime: execFileSync('uptime', { encoding: 'utf8' }).trim(), loadavg: [a, b, c] };
}
