/**
 * The hottest functions of a V8 .cpuprofile (node --cpu-prof, or the worker isolate's profiler) by self
 * time, with the share of all non-idle samples:
 *   npx tsx bench/cpu-profile.ts FILE.cpuprofile [--top 15]
 */
import { isMainModule } from '../loader/cli';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../loader/config';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  function: string;
  where: string;
  selfMs: number;
  share: number;
}

const NOT_WORK = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

export function hotSpots(path: string, top = 15): { totalMs: number; gcMs: number; spots: HotSpot[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // A sample's time is the delta to the next sample (V8 records the delta before each sample).
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (deltas[i + 1] ?? 0));
  const grouped = new Map<string, HotSpot>();
  let totalUs = 0;
  let gcUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(garbage collector)') gcUs += us;
    if (NOT_WORK.has(frame.functionName) && frame.functionName !== '(garbage collector)') continue;
    totalUs += us;
    // Line numbers of transpiled TypeScript (tsx, wrangler's bundle) point into generated code: keep the file only.
    const where = frame.url ? shorten(frame.url) : '';
    const key = `${frame.functionName}\0${where}`;
    const spot = grouped.get(key) ?? { function: frame.functionName || '(anonymous)', where, selfMs: 0, share: 0 };
    spot.selfMs += us / 1000;
    grouped.set(key, spot);
  }
  const spots = [...grouped.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  for (const s of spots) {
    s.share = Math.round((s.selfMs / Math.max(1, totalUs / 1000)) * 1000) / 1000;
    s.selfMs = Math.round(s.selfMs);
  }
  return { totalMs: Math.round(totalUs / 1000), gcMs: Math.round(gcUs / 1000), spots };
}

function shorten(url: string): string {
  // tsx appends ?tsx-namespace=... to modules it loads in worker threads.
  const path = url.replace(/^file:\/\//, '').replace(/\?.*$/, '');
  return path.startsWith(ROOT) ? relative(ROOT, path) : path;
}

if (isMainModule(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });
  for (const file of positionals) {
    const { totalMs, gcMs, spots } = hotSpots(file, Number(values.top));
    console.log(`${file}: ${totalMs} ms on CPU (${gcMs} ms GC)`);
    for (const s of spots)
      console.log(`  ${(s.share * 100).toFixed(1).padStart(5)}%  ${String(s.selfMs).padStart(7)} ms  ${s.function}  ${s.where}`);
  }
}
