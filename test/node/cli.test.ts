// The commands as people meet them: the real scripts run as child processes. Usage on --help, one line
// and exit 2 on a mistake (never a stack trace), nothing written on a typo, a busy port named, and a
// checkout or data directory whose path has a space.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { config } from '../../loader/config';
import { generateStandIn } from '../../loader/standin/generate';

const ROOT = config.root;
const scratch = mkdtempSync(join(tmpdir(), 'cli-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

const NO_STACK = /\n\s+at /;

const COMMANDS: [string, string, string[]][] = [
  ['start', 'scripts/start.ts', ['--port', '--data', '--force']],
  ['dev', 'scripts/dev.ts', ['--port']],
  ['load', 'loader/main.ts', ['--data', '--target', '--force', '--factors', '--persist-to']],
  ['export-factors', 'loader/export-factors.ts', ['--out', '--data']],
  ['evaluate', 'loader/evaluate.ts', ['--ratings', '--folds', '--seed', '--threshold', '--threads', '--config']],
  ['rollback', 'loader/rollback.ts', ['--to', '--list', '--target']],
  ['bench', 'bench/run.ts', ['--only', '--scales', '--api-scales', '--duration', '--quick', '--results', '--render']],
  ['demo', 'scripts/demo.ts', []],
];

describe('--help', () => {
  it.each(COMMANDS)('npm %s -- --help prints the usage with every option and an example, exit 0', async (name, script, options) => {
    const r = await run(script, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: npm (run )?${name}`));
    for (const option of [...options, '--help']) expect(r.stdout).toContain(option);
    expect(r.stdout).toMatch(/examples?:\n {2}npm /);
    expect(r.stderr).not.toMatch(NO_STACK);
  });
});

describe('mistakes', () => {
  it('an unknown option: one line naming it, the usage, exit 2, no stack trace', async () => {
    for (const [script, option] of [
      ['loader/main.ts', '--bogus-flag'],
      ['loader/rollback.ts', '--bogus-flag'],
      ['bench/run.ts', '--bogus-flag'],
      ['scripts/start.ts', '--prot'],
    ]) {
      const r = await run(script, [option]);
      expect(r.code, script).toBe(2);
      expect(r.stderr.split('\n')[0], script).toBe(`Unknown option '${option}'`);
      expect(r.stderr, script).toContain('usage: npm');
      expect(r.stderr, script).not.toMatch(NO_STACK);
    }
  });

  it('a bad value: bench --only nonsense, load --target moon, start --port 70000', async () => {
    const cases: [string, string[], string][] = [
      ['bench/run.ts', ['--only', 'nonsense'], '--only: unknown section "nonsense"'],
      ['loader/main.ts', ['--target', 'moon'], '--target must be local or remote, not "moon"'],
      ['scripts/start.ts', ['--port', '70000'], '--port must be a port number (1-65535), not "70000"'],
      ['scripts/dev.ts', [], 'PORT must be a port number (1-65535), not "x"'],
      ['loader/evaluate.ts', ['--ratings', 'r.csv', '--folds', '1'], '--folds must be an integer in 2..100'],
    ];
    for (const [script, args, message] of cases) {
      const r = await run(script, args, script === 'scripts/dev.ts' ? { PORT: 'x' } : {});
      expect(r.code, script).toBe(2);
      expect(r.stderr.split('\n')[0], script).toContain(message);
      expect(r.stderr, script).not.toMatch(NO_STACK);
    }
  });

  it('load --factors DIR that does not exist, export-factors without --out: one line, the usage, exit 2', async () => {
    for (const [script, args, line] of [
      [
        'loader/main.ts',
        ['--factors', join(scratch, 'no-such-factors')],
        `--factors ${join(scratch, 'no-such-factors')}: no such directory`,
      ],
      ['loader/export-factors.ts', [], '--out DIR is required'],
    ] as const) {
      const r = await run(script, [...args]);
      expect(r.code, script).toBe(2);
      expect(r.stderr.split('\n')[0], script).toBe(line);
      expect(r.stderr, script).toContain('usage: npm');
      expect(r.stderr, script).not.toMatch(NO_STACK);
    }
  });

  it('load --data DIR that does not exist writes nothing, not even the directory', async () => {
    const missing = join(scratch, 'no-such-data');
    const r = await run('loader/main.ts', ['--data', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`--data ${missing}: no such directory`);
    expect(existsSync(missing)).toBe(false);
  });

  it('load --data DIR without the catalogs writes no stand-in into it', async () => {
    const empty = join(scratch, 'empty-data');
    mkdirSync(empty);
    const r = await run('loader/main.ts', ['--data', empty, '--persist-to', join(scratch, 'empty-state')]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain('lacks amazon_prime_titles.csv');
    expect(readdirSync(empty)).toEqual([]);
    expect(existsSync(join(scratch, 'empty-state'))).toBe(false);
  });
});

describe('a busy port', () => {
  let server: Server;
  afterAll(() => server?.close());

  it('npm start and npm run dev name it and how to pick another, before loading anything', async () => {
    server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, () => resolve((server.address() as { port: number }).port)));
    for (const [script, invocation] of [
      ['scripts/start.ts', 'npm start'],
      ['scripts/dev.ts', 'npm run dev'],
    ]) {
      const t0 = performance.now();
      const r = await run(script, ['--port', String(port)]);
      expect(r.code, script).toBe(1);
      expect(r.stderr.trim(), script).toBe(
        `port ${port} is already in use (another server?); pick another: ${invocation} -- --port ${port + 1}  (or PORT=${port + 1} ${invocation})`,
      );
      expect(performance.now() - t0, `${script} gave up before loading`).toBeLessThan(20_000);
    }
  });
});

describe('paths with spaces', () => {
  it('a command started from a directory whose name has a space knows it is the main module', async () => {
    const dir = join(scratch, 'a checkout with space');
    mkdirSync(dir);
    const script = join(dir, 'main.ts');
    writeFileSync(
      script,
      `import { isMainModule } from ${JSON.stringify(pathToFileURL(join(ROOT, 'loader/cli.ts')).href)};\nconsole.log(isMainModule(import.meta.url) ? 'main' : 'imported');\n`,
    );
    const child = await new Promise<Run>((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.on('exit', (code) => resolve({ code, stdout, stderr: '' }));
    });
    expect(child.stdout.trim()).toBe('main');
  });

  it('npm run load publishes from a data directory whose path has a space', async () => {
    const data = join(scratch, 'my data', 'catalog data');
    cpSync(config.titlesDir, join(data, 'titles'), { recursive: true });
    await generateStandIn({ outDir: join(data, 'ratings'), seed: 3, scale: 0.005 });
    const state = join(scratch, 'state with space');
    const r = await run('loader/main.ts', ['--data', data, '--persist-to', state]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/load complete in [\d.]+s: version \w+/);
    expect(existsSync(join(state, 'v3'))).toBe(true);
    expect(readdirSync(join(state, 'out'))).toContain('eda.html');
  }, 240_000);
});
