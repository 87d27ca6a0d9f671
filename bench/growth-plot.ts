// bench/growth.svg: loader stage times against the ratings scale (with the linear reference from 1x),
// the loader's peak RSS against its target, and each endpoint's p50/p99 latency against the scale.
// Small, dependency-free SVG for the README.
import type { ApiResult } from './api-bench';
import { ENDPOINT_ORDER } from './endpoint-mixes';
import type { LoaderRun } from './loader-stages';
import { LIMITS } from './targets';

const W = 380;
const H = 250;
const M = { left: 46, right: 12, top: 28, bottom: 34 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

interface Series {
  label: string;
  points: [number, number][];
  color: string;
  dash?: string;
  width?: number;
}

export function growthSvg(runs: LoaderRun[], api: ApiResult | undefined): string {
  const sorted = [...runs].sort((a, b) => a.scale - b.scale);
  const panels: string[] = [];
  let legendRows = 0;
  if (sorted.length) {
    const base = sorted[0];
    // Stages of a second or more at the base scale; the rest would be flat lines on the floor.
    const stageNames = base.stages.filter((s) => s.seconds >= 1).map((s) => s.name);
    const series: Series[] = [
      { label: 'total', points: sorted.map((r) => [r.scale, r.totalSeconds]), color: '#000', width: 2.5 },
      {
        label: `linear from ${base.scale}x`,
        points: sorted.map((r) => [r.scale, (base.totalSeconds * r.scale) / base.scale]),
        color: '#000',
        dash: '4 3',
        width: 1,
      },
      ...stageNames.map((name, i) => ({
        label: name,
        points: sorted.flatMap((r): [number, number][] => {
          const s = r.stages.find((x) => x.name === name);
          return s ? [[r.scale, s.seconds]] : [];
        }),
        color: COLORS[i % COLORS.length],
      })),
    ];
    legendRows = Math.max(legendRows, Math.ceil(series.length / 2));
    panels.push(panel(0, 'Loader stage time (s) vs ratings scale', series, false));

    const peakOf = (r: LoaderRun, name: string) => r.stages.find((x) => x.name === name)?.peakRssMiB;
    const stagePeaks = ['ingest ratings', 'train recommender', 'publish'].map((name, i) => ({
      label: `${name} peak`,
      points: sorted.flatMap((r): [number, number][] => {
        const peak = peakOf(r, name);
        return peak === undefined ? [] : [[r.scale, peak]];
      }),
      color: COLORS[i % COLORS.length],
      width: 1,
    }));
    const memory: Series[] = [
      { label: 'load peak RSS', points: sorted.map((r) => [r.scale, r.peakRssMiB]), color: '#000', width: 2.5 },
      {
        label: `target: ${LIMITS.rssBytesPerRating} B a rating + ${LIMITS.rssFixedMiB} MiB`,
        points: sorted.map((r) => [r.scale, (r.rows * LIMITS.rssBytesPerRating) / 2 ** 20 + LIMITS.rssFixedMiB]),
        color: '#000',
        dash: '4 3',
        width: 1,
      },
      ...stagePeaks,
    ];
    legendRows = Math.max(legendRows, Math.ceil(memory.length / 2));
    panels.push(panel(W, 'Loader peak RSS (MiB) vs ratings scale', memory, false));
  }
  if (api?.scales.length) {
    const series: Series[] = [];
    ENDPOINT_ORDER.forEach((endpoint, i) => {
      const points = (pick: 'p50Ms' | 'p99Ms') =>
        api.scales.flatMap((s): [number, number][] => (s.endpoints[endpoint] ? [[s.scale, s.endpoints[endpoint]![pick]]] : []));
      series.push({ label: `${endpoint} p99`, points: points('p99Ms'), color: COLORS[i % COLORS.length] });
      series.push({ label: '', points: points('p50Ms'), color: COLORS[i % COLORS.length], dash: '3 3', width: 1 });
    });
    const xs = api.scales.map((s) => s.scale);
    series.push({
      label: 'hello-world p99',
      points: [
        [Math.min(...xs), api.ceiling.p99Ms],
        [Math.max(...xs), api.ceiling.p99Ms],
      ],
      color: '#000',
      dash: '1 3',
      width: 1.5,
    });
    legendRows = Math.max(legendRows, Math.ceil(series.filter((s) => s.label).length / 2));
    // Log scale: a D1-bound endpoint answers in a second, the KV-backed ones in tens of ms.
    panels.push(panel(sorted.length ? 2 * W : 0, 'API latency (ms, log) vs scale: p99 solid, p50 dashed', series, true));
  }
  const height = H + legendRows * 13 + 8;
  const width = W * panels.length;
  return `${[
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...panels,
    '</svg>',
  ].join('\n')}\n`;
}

function panel(x0: number, title: string, series: Series[], log: boolean): string {
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const ys = all.map((p) => p[1]);
  const yMax = niceMax(Math.max(...ys, 1e-9));
  const yMin = log ? 10 ** Math.floor(Math.log10(Math.max(Math.min(...ys), 1e-3))) : 0;
  const px = (x: number) => x0 + M.left + ((x - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const share = (y: number) =>
    log ? (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : y / yMax;
  const py = (y: number) => M.top + (1 - share(y)) * (H - M.top - M.bottom);
  const out: string[] = [`<text x="${x0 + W / 2}" y="14" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`];
  const ticks = log ? logTicks(yMin, yMax) : [0, 1, 2, 3, 4].map((i) => (yMax * i) / 4);
  for (const y of ticks) {
    out.push(`<line x1="${px(xMin)}" x2="${px(xMax)}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${px(xMin) - 4}" y="${py(y) + 3}" text-anchor="end">${fmt(y)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${px(x)}" y="${H - M.bottom + 14}" text-anchor="middle">${x}x</text>`);
  }
  out.push(`<text x="${x0 + W / 2}" y="${H - 6}" text-anchor="middle">ratings (x 11.0M)</text>`);
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([x, y], i) => `${i ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    );
    for (const [x, y] of s.points) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2" fill="${s.color}"/>`);
  }
  series
    .filter((s) => s.label)
    .forEach((s, i) => {
      const lx = x0 + M.left + (i % 2) * ((W - M.left) / 2);
      const ly = H + 4 + Math.floor(i / 2) * 13;
      out.push(
        `<line x1="${lx}" x2="${lx + 16}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      );
      out.push(`<text x="${lx + 20}" y="${ly + 3}">${escapeXml(s.label)}</text>`);
    });
  return out.join('\n');
}

function niceMax(x: number): number {
  const step = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= x) return m * step;
  return 10 * step;
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let decade = min; decade <= max; decade *= 10) for (const m of [1, 2, 5]) if (decade * m <= max) ticks.push(decade * m);
  return ticks;
}

function fmt(x: number): string {
  return x === 0 || x >= 10 ? x.toFixed(0) : x >= 1 ? String(Math.round(x * 10) / 10) : String(x);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
