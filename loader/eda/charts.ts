// Small SVG chart primitives for the EDA report: rendered once at load time into static markup, so the
// report needs no script, no fonts and no network. Every chart is an accessible image (role="img",
// <title>, <desc>) that scales to its container through its viewBox.

export interface Series {
  name: string;
  color: string;
  values: number[]; // one per category
}

export const PLATFORM_COLORS: Record<string, string> = {
  amazon: '#1f77b4',
  disney: '#6a3d9a',
  hulu: '#2ca02c',
  netflix: '#d62728',
};

const WIDTH = 500;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Round axis ticks (1, 2, 5 x 10^k) covering 0..max. */
function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

function compact(n: number): string {
  if (Math.abs(n) >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return fmt(n, Number.isInteger(n) ? 0 : 2);
}

function open(height: number, title: string, desc: string): string {
  return (
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" ${FONT} font-size="12.5">` +
    `<title>${esc(title)}</title><desc>${esc(desc)}</desc>`
  );
}

function legend(series: Series[], y: number, x0: number): string {
  if (series.length < 2) return '';
  let x = x0;
  return series
    .map((s) => {
      const item =
        `<rect x="${x}" y="${y - 9}" width="10" height="10" rx="2" fill="${s.color}"/>` +
        `<text x="${x + 14}" y="${y}" fill="#333">${esc(s.name)}</text>`;
      x += 26 + s.name.length * 7.5;
      return item;
    })
    .join('');
}

/**
 * Vertical bars over ordered categories (histograms, per-year counts), stacked when there are several
 * series. Labels are thinned to every `labelEvery`th category so long axes stay readable.
 */
export function columnChart(opts: {
  title: string;
  desc: string;
  categories: string[];
  series: Series[];
  xLabel: string;
  yLabel: string;
  labelEvery?: number;
  height?: number;
}): string {
  const height = opts.height ?? 250;
  const m = { left: 50, right: 10, top: 28, bottom: 48 };
  const plotW = WIDTH - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const n = opts.categories.length;
  const totals = opts.categories.map((_, i) => opts.series.reduce((s, se) => s + se.values[i], 0));
  const ticks = niceTicks(Math.max(...totals, 0));
  const top = ticks[ticks.length - 1];
  const y = (v: number) => m.top + plotH - (v / top) * plotH;
  const slot = plotW / Math.max(n, 1);
  const barW = Math.max(1, slot * (n > 40 ? 0.9 : 0.75));
  const every = opts.labelEvery ?? Math.max(1, Math.ceil(n / 10));
  const parts = [open(height, opts.title, opts.desc), legend(opts.series, 14, m.left)];
  for (const t of ticks) {
    parts.push(
      `<line x1="${m.left}" x2="${WIDTH - m.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/>`,
      `<text x="${m.left - 6}" y="${y(t) + 4}" text-anchor="end" fill="#555">${compact(t)}</text>`,
    );
  }
  for (let i = 0; i < n; i++) {
    const x = m.left + i * slot + (slot - barW) / 2;
    let base = 0;
    for (const s of opts.series) {
      const v = s.values[i];
      if (v > 0) {
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${y(base + v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${s.color}">` +
            `<title>${esc(opts.categories[i])}${opts.series.length > 1 ? ` · ${esc(s.name)}` : ''}: ${fmt(v)}</title></rect>`,
        );
      }
      base += v;
    }
    if (i % every === 0) {
      parts.push(
        `<text x="${(m.left + i * slot + slot / 2).toFixed(1)}" y="${m.top + plotH + 16}" text-anchor="middle" fill="#555">${esc(opts.categories[i])}</text>`,
      );
    }
  }
  parts.push(
    `<line x1="${m.left}" x2="${WIDTH - m.right}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#9ca3af"/>`,
    `<text x="${m.left + plotW / 2}" y="${height - 10}" text-anchor="middle" fill="#333">${esc(opts.xLabel)}</text>`,
    `<text transform="translate(12 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(opts.yLabel)}</text>`,
    '</svg>',
  );
  return parts.join('');
}

/** Horizontal bars for ranked categories (top genres, countries, cast), stacked by series. */
export function barChart(opts: { title: string; desc: string; categories: string[]; series: Series[]; xLabel: string }): string {
  const rowH = 22;
  const m = { left: 150, right: 44, top: opts.series.length > 1 ? 30 : 10, bottom: 34 };
  const height = m.top + m.bottom + rowH * opts.categories.length;
  const plotW = WIDTH - m.left - m.right;
  const totals = opts.categories.map((_, i) => opts.series.reduce((s, se) => s + se.values[i], 0));
  const ticks = niceTicks(Math.max(...totals, 0), 4);
  const top = ticks[ticks.length - 1];
  const x = (v: number) => m.left + (v / top) * plotW;
  const parts = [open(height, opts.title, opts.desc), legend(opts.series, 16, m.left)];
  for (const t of ticks) {
    parts.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${m.top}" y2="${height - m.bottom}" stroke="#e5e7eb"/>`,
      `<text x="${x(t)}" y="${height - m.bottom + 14}" text-anchor="middle" fill="#555">${compact(t)}</text>`,
    );
  }
  opts.categories.forEach((label, i) => {
    const yTop = m.top + i * rowH + 3;
    const shown = label.length > 21 ? `${label.slice(0, 20)}…` : label;
    parts.push(`<text x="${m.left - 8}" y="${yTop + 12}" text-anchor="end" fill="#333">${esc(shown)}<title>${esc(label)}</title></text>`);
    let base = 0;
    for (const s of opts.series) {
      const v = s.values[i];
      if (v > 0) {
        parts.push(
          `<rect x="${x(base).toFixed(1)}" y="${yTop}" width="${(x(base + v) - x(base)).toFixed(1)}" height="${rowH - 6}" fill="${s.color}">` +
            `<title>${esc(label)}${opts.series.length > 1 ? ` · ${esc(s.name)}` : ''}: ${fmt(v)}</title></rect>`,
        );
      }
      base += v;
    }
    parts.push(`<text x="${x(base) + 4}" y="${yTop + 12}" fill="#555">${fmt(totals[i])}</text>`);
  });
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 6}" text-anchor="middle" fill="#333">${esc(opts.xLabel)}</text>`, '</svg>');
  return parts.join('');
}

/** Lines over a numeric x axis (titles per release year, one line per platform). */
export function lineChart(opts: { title: string; desc: string; xs: number[]; series: Series[]; xLabel: string; yLabel: string }): string {
  const height = 250;
  const m = { left: 50, right: 14, top: 28, bottom: 48 };
  const plotW = WIDTH - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const ticks = niceTicks(Math.max(0, ...opts.series.flatMap((s) => s.values)));
  const top = ticks[ticks.length - 1];
  const x0 = opts.xs[0];
  const x1 = opts.xs[opts.xs.length - 1];
  const x = (v: number) => m.left + ((v - x0) / Math.max(1, x1 - x0)) * plotW;
  const y = (v: number) => m.top + plotH - (v / top) * plotH;
  const parts = [open(height, opts.title, opts.desc), legend(opts.series, 14, m.left)];
  for (const t of ticks) {
    parts.push(
      `<line x1="${m.left}" x2="${WIDTH - m.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/>`,
      `<text x="${m.left - 6}" y="${y(t) + 4}" text-anchor="end" fill="#555">${compact(t)}</text>`,
    );
  }
  const step = niceTicks(x1 - x0, 6)[1] ?? 1;
  for (let v = Math.ceil(x0 / step) * step; v <= x1; v += step) {
    parts.push(`<text x="${x(v)}" y="${m.top + plotH + 16}" text-anchor="middle" fill="#555">${v}</text>`);
  }
  for (const s of opts.series) {
    const points = opts.xs.map((xv, i) => `${x(xv).toFixed(1)},${y(s.values[i]).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="1.8" stroke-linejoin="round"><title>${esc(s.name)}</title></polyline>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${WIDTH - m.right}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#9ca3af"/>`,
    `<text x="${m.left + plotW / 2}" y="${height - 10}" text-anchor="middle" fill="#333">${esc(opts.xLabel)}</text>`,
    `<text transform="translate(12 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(opts.yLabel)}</text>`,
    '</svg>',
  );
  return parts.join('');
}

export interface BoxStats {
  n: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  lowFence: number; // Tukey: q1 - 1.5 IQR
  highFence: number; // Tukey: q3 + 1.5 IQR
  outliers: number[]; // values beyond the fences
}

/** Box plots side by side (one per group) with Tukey whiskers and every outlier drawn as a dot. */
export function boxPlot(opts: {
  title: string;
  desc: string;
  groups: { label: string; color: string; stats: BoxStats | null }[];
  xLabel: string;
}): string {
  const rowH = 40;
  const m = { left: 64, right: 16, top: 10, bottom: 36 };
  const height = m.top + m.bottom + rowH * opts.groups.length;
  const plotW = WIDTH - m.left - m.right;
  const max = Math.max(1, ...opts.groups.map((g) => g.stats?.max ?? 0));
  const ticks = niceTicks(max, 6);
  const top = ticks[ticks.length - 1];
  const x = (v: number) => m.left + (v / top) * plotW;
  const parts = [open(height, opts.title, opts.desc)];
  for (const t of ticks) {
    parts.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${m.top}" y2="${height - m.bottom}" stroke="#e5e7eb"/>`,
      `<text x="${x(t)}" y="${height - m.bottom + 14}" text-anchor="middle" fill="#555">${compact(t)}</text>`,
    );
  }
  opts.groups.forEach((g, i) => {
    const cy = m.top + i * rowH + rowH / 2;
    parts.push(`<text x="${m.left - 8}" y="${cy + 4}" text-anchor="end" fill="#333">${esc(g.label)}</text>`);
    const s = g.stats;
    if (!s) {
      parts.push(`<text x="${m.left + 4}" y="${cy + 4}" fill="#777">no titles</text>`);
      return;
    }
    const whiskerLo = Math.max(s.min, s.lowFence);
    const whiskerHi = Math.min(s.max, s.highFence);
    parts.push(
      `<line x1="${x(whiskerLo)}" x2="${x(whiskerHi)}" y1="${cy}" y2="${cy}" stroke="${g.color}"/>`,
      `<line x1="${x(whiskerLo)}" x2="${x(whiskerLo)}" y1="${cy - 7}" y2="${cy + 7}" stroke="${g.color}"/>`,
      `<line x1="${x(whiskerHi)}" x2="${x(whiskerHi)}" y1="${cy - 7}" y2="${cy + 7}" stroke="${g.color}"/>`,
      `<rect x="${x(s.q1)}" y="${cy - 12}" width="${Math.max(1, x(s.q3) - x(s.q1))}" height="24" fill="${g.color}" fill-opacity="0.18" stroke="${g.color}">` +
        `<title>${esc(g.label)}: n ${fmt(s.n)}, quartiles ${fmt(s.q1)} / ${fmt(s.median)} / ${fmt(s.q3)}, range ${fmt(s.min)}–${fmt(s.max)}</title></rect>`,
      `<line x1="${x(s.median)}" x2="${x(s.median)}" y1="${cy - 12}" y2="${cy + 12}" stroke="${g.color}" stroke-width="2.5"/>`,
    );
    // Outliers repeat a lot (many titles at 1 season); drawing each distinct value once keeps the markup small.
    for (const v of new Set(s.outliers)) {
      parts.push(`<circle cx="${x(v).toFixed(1)}" cy="${cy}" r="3" fill="none" stroke="${g.color}"/>`);
    }
  });
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 6}" text-anchor="middle" fill="#333">${esc(opts.xLabel)}</text>`, '</svg>');
  return parts.join('');
}
