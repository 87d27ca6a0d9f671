/**
 * `npm run bench [-- options]`: measures the loader and the API and writes bench/results.json,
 * bench/RESULTS.md and bench/growth.svg (and the README's bench block, if it has one).
 * `npm run bench -- --help` lists the options.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineCommand, parseCommand, usageError } from '../loader/cli';
import { ROOT } from '../loader/config';
import { generateStandIn, standInIsCurrent } from '../loader/standin/generate';
import { profileEndpoints, runApiBench } from './api-bench';
import { runScript } from './children';
import { hotSpots } from './cpu-profile';
import { growthSvg } from './growth-plot';
import type { LoaderRun } from './loader-stages';
import { loadSnapshot, machineInfo } from './machine';
import { cpuPinning } from './cpu-pinning';
import { BENCH_DIR, benchConfig, PROFILE_DIR, RESULTS_DIR, ratingsDir, scaleDir, WRANGLER_BIN } from './paths';
import { renderMarkdown } from './report';
import type { BenchResults, BundleSize, LoaderHotSpots, Measured, RawToServing, RouterCost } from './results';
import { evaluateGrowth, evaluateTargets } from './targets';
import { DEV_ENV, MAIN_CONFIG, startBenchDev } from './dev-server';

const SECTIONS = ['bundle', 'router', 'loader', 'e2e', 'cpu', 'api'] as const;
type Section = (typeof SECTIONS)[number];

const BENCH_COMMAND = defineCommand({
  invocation: 'npm run bench --',
  summary:
    'Measures the loader and the API and writes bench/results.json, bench/RESULTS.md and bench/growth.svg (and the ' +
    "README's bench block). Sections not measured keep their previous results. Run it on a quiet machine.",
  options: {
    only: {
      type: 'string',
      value: 'LIST',
      description: `sections to measure: ${SECTIONS.join(',')},growth (default: all; growth = loader at 1,4,10x + API at 1,4x)`,
    },
    scales: { type: 'string', value: '1,4,10', description: 'loader scales (stand-in ratings x scale; default 1, or 1,4,10 with growth)' },
    'api-scales': { type: 'string', value: '1,4', description: 'data scales the API is loaded at (default 1, or 1,4 with growth)' },
    'api-runs': { type: 'string', value: 'N', default: '2', description: 'times the API section runs (the targets must hold in each)' },
    duration: { type: 'string', value: 'S', description: 'measured seconds per server and endpoint (default 30, 3 with --quick)' },
    slice: {
      type: 'string',
      value: 'S',
      default: '1',
      description: 'seconds each server of an endpoint group is loaded before the next takes over',
    },
    warm: { type: 'string', value: 'S', description: 'seconds of warm-up before each run (default 1)' },
    connections: { type: 'string', value: 'N', default: '32', description: 'concurrent connections of the load' },
    'ops-requests': {
      type: 'string',
      value: 'N',
      description: 'requests per endpoint for the KV/D1 operation counts (default 100, 40 with --quick)',
    },
    quick: { type: 'boolean', default: false, description: 'shorter runs, for a look rather than a record' },
    'shared-cpus': {
      type: 'boolean',
      default: false,
      description: 'API runs: the load generator and the servers share every core (default: half the cores each, with taskset)',
    },
    profile: { type: 'boolean', default: false, description: 'CPU profiles of the loader and of the worker per endpoint' },
    'reuse-standin': { type: 'boolean', default: false, description: 'keep current stand-in files (generation is then not measured)' },
    results: {
      type: 'string',
      value: 'DIR',
      default: RESULTS_DIR,
      description: 'write results there instead of bench/ (development runs)',
    },
    render: {
      type: 'boolean',
      default: false,
      description: 'measure nothing: recompute the verdicts and rewrite the reports from results.json',
    },
  },
  examples: ['npm run bench', 'npm run bench -- --only api --quick --results /tmp/bench', 'npm run bench -- --only cpu'],
});
const values = parseCommand(BENCH_COMMAND);

const log = (line: string) => process.stderr.write(`${line}\n`);
const numbers = (s: string, flag: string) =>
  s.split(',').map((x) => {
    const n = Number(x);
    if (!(n > 0)) usageError(BENCH_COMMAND, `${flag}: ${JSON.stringify(x)} is not a positive number`);
    return n;
  });
const number = (s: string, flag: string) => numbers(s, flag)[0];

const requested = (values.only ?? SECTIONS.join(',')).split(',');
const growth = values.only === undefined || requested.includes('growth');
const only = new Set<Section>(
  requested.flatMap((s) => {
    if (s === 'growth') return ['loader', 'api'] as Section[];
    if (!(SECTIONS as readonly string[]).includes(s))
      usageError(BENCH_COMMAND, `--only: unknown section ${JSON.stringify(s)} (${SECTIONS.join(', ')}, growth)`);
    return [s as Section];
  }),
);
const scales = numbers(values.scales ?? (growth ? '1,4,10' : '1'), '--scales');
const apiScales = numbers(values['api-scales'] ?? (growth ? '1,4' : '1'), '--api-scales');
const settings = {
  connections: number(values.connections, '--connections'),
  // One-second slices on this machine vary by ~10% from one to the next (its speed moves with its
  // neighbours'): 30 of them per server put two hello-world servers within a few per cent of each other.
  durationS: number(values.duration ?? (values.quick ? '3' : '30'), '--duration'),
  sliceS: number(values.slice, '--slice'),
  warmS: values.warm === undefined ? 1 : Number(values.warm) >= 0 ? Number(values.warm) : number(values.warm, '--warm'),
  opsRequests: number(values['ops-requests'] ?? (values.quick ? '40' : '100'), '--ops-requests'),
  profile: values.profile,
  pinning: values['shared-cpus'] ? null : cpuPinning(),
};
const resultsDir = values.results;
/** Seconds each endpoint is profiled for: a few thousand requests. */
const PROFILE_SECONDS = 3;
const resultsJson = join(resultsDir, 'results.json');

async function measured<T>(name: string, fn: () => Promise<T>): Promise<Measured & T> {
  const before = loadSnapshot();
  log(`\n== ${name} (load average ${before.loadavg.join(' ')})`);
  const t0 = performance.now();
  const result = await fn();
  const after = loadSnapshot();
  log(`== ${name} done in ${((performance.now() - t0) / 1000).toFixed(0)} s (load average ${after.loadavg.join(' ')})`);
  return { measuredAt: before.at, machineLoad: { before, after }, ...result };
}

async function bundleSize(): Promise<BundleSize> {
  const outdir = join(BENCH_DIR, 'bundle');
  rmSync(outdir, { recursive: true, force: true });
  execFileSync(process.execPath, [WRANGLER_BIN, 'deploy', '--dry-run', '--outdir', outdir, '--config', MAIN_CONFIG], {
    cwd: ROOT,
    env: DEV_ENV,
    stdio: 'ignore',
  });
  const files = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f));
  const bytes = Buffer.concat(files.map((f) => readFileSync(join(outdir, f))));
  log(`  worker script ${(bytes.length / 1024).toFixed(1)} KiB, gzip ${(gzipSync(bytes).length / 1024).toFixed(1)} KiB`);
  return { scriptBytes: bytes.length, gzipBytes: gzipSync(bytes).length, files };
}

async function loaderRun(scale: number, reuseStandIn: boolean): Promise<LoaderRun> {
  const out = join(`${scaleDir(scale)}.json`);
  const profileDir = settings.profile ? join(PROFILE_DIR, `loader-s${scale}`) : undefined;
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await runScript(
    join(ROOT, 'bench/loader-stages.ts'),
    ['--scale', String(scale), '--out', out, ...(reuseStandIn ? ['--reuse-standin'] : [])],
    { profileDir },
  );
  const run = JSON.parse(readFileSync(out, 'utf8')) as LoaderRun;
  log(
    `  ${scale}x: ${run.rows.toLocaleString('en-US')} rows, ${run.totalSeconds.toFixed(1)} s, peak RSS ${run.peakRssMiB} MiB; ` +
      run.stages.map((s) => `${s.name} ${s.seconds.toFixed(1)}s/${s.peakRssMiB}MiB`).join(', '),
  );
  return run;
}

function loaderHotSpots(): LoaderHotSpots {
  const spots: LoaderHotSpots = {};
  for (const scale of scales) {
    const dir = join(PROFILE_DIR, `loader-s${scale}`);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
      const summary = hotSpots(join(dir, file), 8);
      if (summary.totalMs > 200) spots[`loader-s${scale}/${file}`] = summary;
    }
  }
  return spots;
}

async function ensureStandIn(scale: number): Promise<void> {
  const cfg = benchConfig(scaleDir(scale), ratingsDir(scale));
  if (!standInIsCurrent(ratingsDir(scale), { seed: cfg.standInSeed, scale, summaryPath: cfg.summaryPath })) {
    log(`  generating the ${scale}x stand-in (not measured)`);
    await generateStandIn({ outDir: ratingsDir(scale), seed: cfg.standInSeed, scale, summaryPath: cfg.summaryPath });
  }
}

async function rawToServing(): Promise<RawToServing> {
  await ensureStandIn(1);
  const dir = join(BENCH_DIR, 'e2e');
  const t0 = performance.now();
  const profileDir = settings.profile ? join(PROFILE_DIR, 'e2e-load') : undefined;
  const child = await runScript(join(ROOT, 'bench/load-fresh.ts'), ['--dir', dir, '--ratings', ratingsDir(1)], { profileDir });
  const load = JSON.parse(child.stdout.trim().split('\n').pop()!) as { version: string; seconds: number; peakRssMiB: number };
  const t1 = performance.now();
  const server = await startBenchDev({
    config: MAIN_CONFIG,
    persistTo: join(dir, 'state'),
    logFile: join(BENCH_DIR, 'logs/e2e.log'),
    readyPath: '/health',
  });
  const t2 = performance.now();
  try {
    const health = (await (await fetch(`${server.url}/health`)).json()) as { version: string; counts: { ratings_rows: number } };
    if (health.version !== load.version) throw new Error(`/health serves ${health.version}, the load published ${load.version}`);
    const result = {
      seconds: round((t2 - t0) / 1000),
      loadSeconds: round((t1 - t0) / 1000),
      serverStartSeconds: round((t2 - t1) / 1000),
      loadPeakRssMiB: load.peakRssMiB,
      version: load.version,
      rows: health.counts.ratings_rows,
    };
    log(
      `  raw files to /health: ${result.seconds} s (load ${result.loadSeconds} s, server ${result.serverStartSeconds} s), load peak RSS ${result.loadPeakRssMiB} MiB`,
    );
    return result;
  } finally {
    await server.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function readPrevious(): Partial<BenchResults> {
  if (!existsSync(resultsJson)) return {};
  return JSON.parse(readFileSync(resultsJson, 'utf8')) as Partial<BenchResults>;
}

/** Replaces the README's bench block (between the markers), if the README has one. */
function updateReadme(results: BenchResults): void {
  const readme = join(ROOT, 'README.md');
  if (resultsDir !== RESULTS_DIR || !existsSync(readme)) return;
  const text = readFileSync(readme, 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return;
  const block = readmeBlock(results);
  writeFileSync(readme, `${text.slice(0, a + begin.length)}\n${block}${text.slice(b)}`);
  log('  README.md bench block updated');
}

function readmeBlock(r: BenchResults): string {
  const lines = [
    `Measured ${r.generatedAt.slice(0, 10)} on ${r.machine.nproc} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}, wrangler ${r.machine.wrangler}; details in [bench/RESULTS.md](bench/RESULTS.md).`,
    '',
    '| target | measured | limit | |',
    '|---|---:|---:|---|',
    ...r.targets.map((t) => `| ${t.name} | ${t.measured} | ${t.limit} | ${t.pass ? 'pass' : '**FAIL**'} |`),
    '',
    '![Loader stage times and API latency against the ratings scale](bench/growth.svg)',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const previous = readPrevious();
  if (values.render && !previous.machine) throw new Error(`--render: no results in ${resultsJson}`);
  const results: BenchResults = {
    ...previous,
    generatedAt: values.render ? previous.generatedAt! : new Date().toISOString(),
    machine: values.render ? previous.machine! : machineInfo(),
    targets: [],
    growth: [],
  };
  if (values.render) only.clear();
  log(
    `bench: ${[...only].join(', ')}; loader scales ${scales.join(', ')}; API scales ${apiScales.join(', ')}; ${settings.durationS} s per endpoint`,
  );
  if (only.has('bundle')) results.bundle = await measured('worker bundle', bundleSize);
  if (only.has('router')) {
    results.router = await measured('routing cost per request', async () => {
      // Its own process: it runs worker modules, typed apart from the bench (see router-cost.ts).
      const cost = JSON.parse(
        (
          await runScript(join(ROOT, 'bench/router-cost.ts'), [], { imports: [pathToFileURL(join(ROOT, 'bench/text-modules.mjs')).href] })
        ).stdout
          .trim()
          .split('\n')
          .pop()!,
      ) as RouterCost;
      log(
        `  Map ${(cost.mapNs / 1000).toFixed(2)} µs, itty-router ${(cost.ittyNs / 1000).toFixed(2)} µs per request (routing + a stub answer): itty-router adds ${(cost.addedNs / 1000).toFixed(2)} µs`,
      );
      return cost;
    });
  }
  if (only.has('loader')) {
    results.loader = await measured('loader stages', async () => {
      const runs: LoaderRun[] = [];
      for (const scale of scales) runs.push(await loaderRun(scale, values['reuse-standin']));
      return { runs, ...(settings.profile ? { hotSpots: loaderHotSpots() } : {}) };
    });
  }
  if (only.has('e2e')) results.e2e = await measured('raw files to serving', rawToServing);
  if (only.has('cpu')) {
    if (!existsSync(join(scaleDir(1), 'state/v3'))) await loaderRun(1, true);
    results.cpu = await measured('worker CPU per request and cold starts', () => profileEndpoints(1, PROFILE_SECONDS, log));
  }
  if (only.has('api')) {
    for (const scale of apiScales) {
      if (!existsSync(join(scaleDir(scale), 'state/v3'))) {
        log(`  no published ${scale}x data yet: running the loader at ${scale}x first`);
        await loaderRun(scale, true);
      }
    }
    const runs = numbers(values['api-runs'], '--api-runs')[0];
    results.api = await measured('API under load', () => runApiBench(apiScales, settings, log));
    if (runs > 1) results.apiRepeat = await measured('API under load, run 2', () => runApiBench(apiScales, settings, log));
    else delete results.apiRepeat;
  }
  results.targets = evaluateTargets(results);
  results.growth = evaluateGrowth(results);

  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(resultsJson, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'RESULTS.md'), renderMarkdown(results));
  writeFileSync(join(resultsDir, 'growth.svg'), growthSvg(results.loader?.runs ?? [], results.api));
  updateReadme(results);

  log('');
  for (const t of results.targets) log(`${t.pass ? 'pass' : 'FAIL'}  ${t.name}: ${t.measured} (${t.limit})`);
  for (const g of results.growth.filter((x) => !x.pass)) log(`FAIL  growth: ${g.name}: ${g.ratio ?? 'from 0'} (allowed ${g.allowed})`);
  log(`\nbench finished in ${((performance.now() - started) / 60000).toFixed(1)} min; wrote ${resultsJson}, RESULTS.md, growth.svg`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
