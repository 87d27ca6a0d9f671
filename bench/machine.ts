// What the numbers were measured on, and how busy the machine was (other work skews every number).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
  const wranglerVersion = execFileSync(process.execPath, [WRANGLER_BIN, '--version'], {
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  })
    .trim()
    .split('\n')
    .pop()!;
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
    return (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

export interface LoadSnapshot {
  at: string;
  uptime: string;
  loadavg: [number, number, number];
  /** CPU seconds used so far by the whole machine (all CPUs, /proc/stat) and by this bench (itself and
   * its exited children, /proc/self/stat). Their difference over a section is the other work's. */
  machineCpuS?: number;
  benchCpuS?: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on Linux

/** /proc/<pid>/stat fields after the command name (which may hold spaces and parentheses). */
function statFields(pid: number | 'self'): number[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/**
 * CPU of the bench's own servers that /proc/self/stat cannot see: workerd processes whose wrangler
 * parent died first are reparented and reaped by init, so their time would count as other work.
 */
let unreapedChildCpuS = 0;

/** CPU seconds used so far by the live processes of a process group (state(0) ppid(1) pgrp(2) ... utime(11) stime(12)). */
export function processGroupCpuSeconds(group: number): number {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const fields = statFields(Number(name));
      if (fields[2] === group) ticks += fields[11] + fields[12];
    } catch {
      // exited meanwhile
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds of this process's exited and reaped descendants. */
export function reapedChildrenCpuSeconds(): number {
  const fields = statFields('self');
  return (fields[13] + fields[14]) / TICKS_PER_SECOND;
}

/** Counts CPU a stopped server used that did not come back through reaping (see unreapedChildCpuS). */
export function addUnreapedChildCpu(seconds: number): void {
  unreapedChildCpuS += Math.max(0, seconds);
}

export function loadSnapshot(): LoadSnapshot {
  const [a, b, c] = loadavg().map((x) => Math.round(x * 100) / 100);
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: busy = everything but idle and iowait.
  const busy = cpu.reduce((sum, x) => sum + x, 0) - cpu[3] - cpu[4];
  const fields = statFields('self');
  // utime(11) stime(12) cutime(13) cstime(14).
  const mine = fields[11] + fields[12] + fields[13] + fields[14];
  return {
    at: new Date().toISOString(),
    uptime: execFileSync('uptime', { encoding: 'utf8' }).trim(),
    loadavg: [a, b, c],
    machineCpuS: busy / TICKS_PER_SECOND,
    benchCpuS: mine / TICKS_PER_SECOND + unreapedChildCpuS,
  };
}

/** Share of the machine's CPU capacity that other work used between two snapshots (0..1), if known. */
export function otherCpuShare(before: LoadSnapshot, after: LoadSnapshot, nproc: number): number | undefined {
  if (
    before.machineCpuS === undefined ||
    after.machineCpuS === undefined ||
    before.benchCpuS === undefined ||
    after.benchCpuS === undefined
  )
    return undefined;
  const seconds = (Date.parse(after.at) - Date.parse(before.at)) / 1000;
  if (seconds <= 0) return undefined;
  const others = after.machineCpuS - before.machineCpuS - (after.benchCpuS - before.benchCpuS);
  return Math.min(1, Math.max(0, others / (seconds * nproc)));
}
