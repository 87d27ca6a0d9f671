// `npm run deploy` is `wrangler deploy`; this runs the same build with --dry-run (no account needed)
// and checks the bundle against the Workers size limit. CI runs it through `npm test`, so every run
// reports the bundle size.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { config } from '../../loader/config';

/** Workers Free plan: 3 MB per Worker after compression (Paid: 10 MB). The stricter one is the bar. */
const WORKER_GZIP_LIMIT = 3 * 1024 * 1024;

const outdir = mkdtempSync(join(tmpdir(), 'wrangler-dry-run-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

it('wrangler deploy --dry-run builds a bundle under the Workers size limit', async () => {
  const { stdout, stderr } = await promisify(execFile)('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
    cwd: config.root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
    maxBuffer: 16 << 20,
  }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`wrangler deploy --dry-run failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  });
  expect(stdout).toContain('--dry-run: exiting now.');

  const code = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f));
  expect(code).toContain('index.js');
  const bytes = code.map((f) => readFileSync(join(outdir, f)));
  const raw = bytes.reduce((n, b) => n + b.byteLength, 0);
  const gzip = bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).byteLength, 0);
  const reported = stdout.match(/Total Upload: ([\d.]+ \w+) \/ gzip: ([\d.]+ \w+)/);
  console.log(
    `worker bundle: ${(raw / 1024).toFixed(1)} KiB, ${(gzip / 1024).toFixed(1)} KiB gzipped ` +
      `(limit ${WORKER_GZIP_LIMIT / 1024 / 1024} MiB on the Free plan)` +
      (reported ? `; wrangler reports ${reported[1]} / gzip ${reported[2]}` : '') +
      (stderr.trim() ? `\nwrangler stderr: ${stderr.trim().slice(0, 500)}` : ''),
  );
  expect(gzip).toBeLessThan(WORKER_GZIP_LIMIT);
});
