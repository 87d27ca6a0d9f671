// `npm run demo`: records the product walking through the four queries, a recommendation, an error,
// the API docs and the EDA report. It runs the browser tests with DEMO_FRAMES set (each step saves a
// screenshot), then Debian's ffmpeg assembles the frames into docs/demo.gif; docs/demo.png is a still.
// Needs ffmpeg (apt-get install -y ffmpeg); the browser is the tests' own (test/browser/browser.ts).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCommand, parseCommand } from '../loader/cli';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT_DIR = join(ROOT, 'docs');
const SECONDS_PER_FRAME = 1.8;
const GIF_WIDTH = 960;
/** The frame that stands for the product in the README. */
const STILL_FRAME = 'top-picks';

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd: ROOT, env, stdio: 'inherit' });
  if (result.error) throw new Error(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

const DEMO_COMMAND = defineCommand({
  invocation: 'npm run demo --',
  summary:
    'Records the product in a browser: runs the browser tests with screenshots on and assembles them with ffmpeg into ' +
    'docs/demo.gif, with docs/demo.png as the still. Needs ffmpeg (apt-get install -y ffmpeg).',
  options: {},
  examples: ['npm run demo'],
});

function main(): void {
  parseCommand(DEMO_COMMAND);
  const frames = mkdtempSync(join(tmpdir(), 'catalog-demo-'));
  try {
    process.stderr.write(`> browser walkthrough (frames in ${frames})\n`);
    run(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'browser'], {
      ...process.env,
      DEMO_FRAMES: frames,
    });

    const pngs = readdirSync(frames)
      .filter((f) => f.endsWith('.png'))
      .sort();
    if (pngs.length === 0) throw new Error('the walkthrough saved no frames');
    // The concat demuxer shows each frame for its duration; the last file is listed twice so it is held too.
    const list = [...pngs, pngs[pngs.length - 1]]
      .map((f, i) => `file '${join(frames, f)}'${i < pngs.length ? `\nduration ${SECONDS_PER_FRAME}` : ''}`)
      .join('\n');
    const listFile = join(frames, 'frames.txt');
    writeFileSync(listFile, `${list}\n`);

    mkdirSync(OUT_DIR, { recursive: true });
    const gif = join(OUT_DIR, 'demo.gif');
    process.stderr.write(`> ffmpeg: ${pngs.length} frames -> ${gif}\n`);
    run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      listFile,
      // One palette for the whole clip, computed from the frames themselves: crisp text, small file.
      '-vf',
      `fps=4,scale=${GIF_WIDTH}:-1:flags=lanczos,split[a][b];[a]palettegen=max_colors=128:stats_mode=full[p];[b][p]paletteuse=dither=none:diff_mode=rectangle`,
      '-loop',
      '0',
      gif,
    ]);
    const still = pngs.find((f) => f.includes(STILL_FRAME)) ?? pngs[0];
    copyFileSync(join(frames, still), join(OUT_DIR, 'demo.png'));
    const kib = (file: string) => `${Math.round(statSync(file).size / 1024)} KiB`;
    process.stderr.write(
      `demo: ${gif} (${kib(gif)}), still ${join(OUT_DIR, 'demo.png')} (${kib(join(OUT_DIR, 'demo.png'))}) from ${still}\n`,
    );
  } finally {
    rmSync(frames, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
