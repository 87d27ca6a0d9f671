// Stage logging with progress and rates for long stages. Writes one line per update on a TTY
// (carriage return), and sparse lines otherwise so CI logs stay short.
export type Log = (line: string) => void;
export type Progress = (done: number, total?: number, unit?: string, fraction?: number) => void;

export const consoleLog: Log = (line) => process.stderr.write(`${line}\n`);

export async function stage<T>(log: Log, name: string, fn: (progress: Progress) => Promise<T>, done?: (result: T) => string): Promise<T> {
  const t0 = performance.now();
  const tty = process.stderr.isTTY && log === consoleLog;
  let lastPrint = 0;
  const progress: Progress = (count, total, unit = '', fraction) => {
    const now = performance.now();
    if (now - lastPrint < (tty ? 250 : 5000)) return;
    lastPrint = now;
    const seconds = (now - t0) / 1000;
    const share = fraction ?? (total ? count / total : undefined);
    const pct = share === undefined ? '' : ` ${(share * 100).toFixed(0)}%`;
    const rate = seconds > 0 ? ` ${Math.round(count / seconds).toLocaleString('en-US')} ${unit}/s` : '';
    const line = `  ${name}:${pct} ${count.toLocaleString('en-US')} ${unit}${rate}`;
    if (tty) process.stderr.write(`\r${line.padEnd(78)}`);
    else log(line);
  };
  log(`> ${name}`);
  const result = await fn(progress);
  if (tty) process.stderr.write(`\r${' '.repeat(78)}\r`);
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  log(`  ${name} done in ${seconds}s${done ? `: ${done(result)}` : ''}`);
  return result;
}
