// The API bench's core split: the layout per core count, this process pinned and put back, and a
// wrangler dev server whose workerd runs only where it was told to.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { affinityOf, cpuPinning, pinThisProcess } from './cpu-pinning';
import { HELLO_CONFIG, startBenchDev } from './dev-server';

const scratch = mkdtempSync(join(tmpdir(), 'cpu-pinning-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('cpuPinning', () => {
  it('gives the load the first half of the cores and the servers the rest', () => {
    expect(cpuPinning(2)).toEqual({ generator: '0', servers: '1' });
    expect(cpuPinning(8)).toEqual({ generator: '0-3', servers: '4-7' });
    expect(cpuPinning(3)).toEqual({ generator: '0', servers: '1-2' });
  });

  it('does not split a single core', () => {
    expect(cpuPinning(1)).toBeNull();
  });
});

describe.skipIf(cpuPinning() === null)('on this machine', () => {
  it('pins this process and puts its affinity back', () => {
    const before = affinityOf(process.pid);
    const unpin = pinThisProcess('0');
    try {
      expect(affinityOf(process.pid)).toBe('0');
    } finally {
      unpin();
    }
    expect(affinityOf(process.pid)).toBe(before);
  });

  it('runs a wrangler dev server and its workerd on the servers cores only', async () => {
    const { servers } = cpuPinning()!;
    const server = await startBenchDev({
      config: HELLO_CONFIG,
      persistTo: join(scratch, 'state'),
      logFile: join(scratch, 'hello.log'),
      cpus: servers,
    });
    try {
      expect(await (await fetch(server.url)).text()).toBeTruthy();
      expect(affinityOf(server.pid)).toBe(servers);
      const workerd = server.workerPid();
      expect(workerd).not.toBeNull();
      expect(affinityOf(workerd!)).toBe(servers);
    } finally {
      await server.stop();
    }
  });
});
