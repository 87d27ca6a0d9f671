// Peak resident memory from /proc (Linux). Worker threads share the process, so VmHWM covers them.
// Writing "5" to clear_refs resets the high-water mark to the current RSS: one process can then
// measure the peak of each stage in turn, including what earlier stages still hold.
import { readFileSync, writeFileSync } from 'node:fs';

const MIB = 1024;

function statusField(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]) / MIB;
}

/** Current resident set, MiB. */
export function rssMiB(pid: number | 'self' = 'self'): number {
  return statusField(pid, 'VmRSS');
}

/** Peak resident set since start or the last resetPeakRss, MiB. */
export function peakRssMiB(pid: number | 'self' = 'self'): number {
  return statusField(pid, 'VmHWM');
}

/** Resets this process's peak RSS to its current RSS; false where the kernel does not allow it. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Parent pid of a process, or null once it is gone. */
export function parentPid(pid: number): number | null {
  try {
    // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** Command line of a process ('' once it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
