// The EDA report: one self-contained HTML page (inline CSS and SVG, no script, no network) rendered by
// the loader from the transformed catalog and the ingested rating rows, stored in KV and served at /eda.
// Pure: the same input gives the same page, so the page is part of a data version like any other artifact.
import { PLATFORMS, type Title } from '../../contract';
import type { RatingRows } from '../ratings/rows';
import { barChart, boxPlot, columnChart, esc, fmt, lineChart, PLATFORM_COLORS, type Series } from './charts';
import { catalogStats, ratingStats, type CatalogStats, type PerPlatform, type Ranked, type RatingStats } from './stats';

export interface EdaInput {
  titles: Title[];
  rows: RatingRows;
  catalogReport: unknown;
  ratingsSource: 'files' | 'stand-in';
}

export function buildEdaReport(input: EdaInput): string {
  const catalog = catalogStats(input.titles);
  const ratings = ratingStats(input.rows, input.titles);
  const fixes = readFixes(input.catalogReport);
  const sections = [
    section('findings', 'Findings', findings(catalog, ratings, fixes, input.ratingsSource)),
    section('catalog', 'The catalog', catalogCharts(catalog)),
    section('durations', 'Durations and outliers', durationCharts(catalog)),
    section('metadata', 'Ratings labels, countries, genres, cast', metadataCharts(catalog)),
    section('missing', 'Missing values', missingTable(catalog)),
    section('ratings', 'User ratings', ratingCharts(ratings, input.ratingsSource)),
    section('quality', 'Data-quality fixes', qualitySection(fixes, input.catalogReport)),
  ];
  return page(sections.join('\n'), catalog, ratings, input.ratingsSource);
}

const platformSeries = (values: (p: (typeof PLATFORMS)[number]) => number[]): Series[] =>
  PLATFORMS.map((p) => ({ name: p, color: PLATFORM_COLORS[p], values: values(p) }));

const pct = (part: number, whole: number, digits = 1) => (whole ? `${fmt((100 * part) / whole, digits)}%` : '–');

function section(id: string, heading: string, body: string): string {
  return `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${esc(heading)}</h2>${body}</section>`;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${caption}</figcaption></figure>`;
}

function rankedChart(title: string, items: Ranked[], xLabel: string, caption: string): string {
  return figure(
    barChart({
      title,
      desc: items.map((r) => `${r.label}: ${r.total}`).join('; '),
      categories: items.map((r) => r.label),
      series: platformSeries((p) => items.map((r) => r.byPlatform[p])),
      xLabel,
    }),
    caption,
  );
}

function catalogCharts(c: CatalogStats): string {
  const years = figure(
    lineChart({
      title: 'Titles per release year and platform',
      desc: PLATFORMS.map((p) => `${p}: ${fmt(c.byPlatform[p])} titles`).join('; '),
      xs: c.years.xs,
      series: platformSeries((p) => c.years.byPlatform[p]),
      xLabel: 'release year',
      yLabel: 'titles',
    }),
    `Titles per release year, ${c.years.xs[0]}–${c.years.xs[c.years.xs.length - 1]}. ${PLATFORMS.map((p) => `${p} ${fmt(c.byPlatform[p])}`).join(', ')}; ${fmt(c.total)} in all.`,
  );
  const typeSeries: Series[] = c.types.map((t, i) => ({
    name: t.label,
    color: ['#2563eb', '#f59e0b', '#64748b'][i % 3],
    values: PLATFORMS.map((p) => t.byPlatform[p]),
  }));
  const types = figure(
    barChart({
      title: 'Type mix per platform',
      desc: c.types.map((t) => `${t.label}: ${PLATFORMS.map((p) => `${p} ${t.byPlatform[p]}`).join(', ')}`).join('; '),
      categories: [...PLATFORMS],
      series: typeSeries,
      xLabel: 'titles',
    }),
    'Movies and TV shows per platform. ' +
      PLATFORMS.map((p) => `${p}: ${c.types.map((t) => `${pct(t.byPlatform[p], c.byPlatform[p], 0)} ${esc(t.label)}`).join(', ')}`).join(
        '; ',
      ) +
      '.',
  );
  return `<div class="grid">${years}${types}</div>`;
}

function durationCharts(c: CatalogStats): string {
  const parts: string[] = [];
  for (const unit of ['min', 'season'] as const) {
    const d = c.durations[unit];
    const unitName = unit === 'min' ? 'minutes' : 'seasons';
    const all = d.all;
    parts.push(
      figure(
        columnChart({
          title: `Duration in ${unitName}`,
          desc: d.bins.map((b) => `${b.label}: ${PLATFORMS.reduce((s, p) => s + b.byPlatform[p], 0)}`).join('; '),
          categories: d.bins.map((b) => b.label),
          series: platformSeries((p) => d.bins.map((b) => b.byPlatform[p])),
          xLabel: unitName,
          yLabel: 'titles',
          labelEvery: unit === 'min' ? 4 : 2,
        }),
        all
          ? `${fmt(all.n)} titles measured in ${unitName}; median ${fmt(all.median)}, quartiles ${fmt(all.q1)}–${fmt(all.q3)}, maximum ${fmt(all.max)}. The last bar collects everything from its lower bound up.`
          : `No titles measured in ${unitName}.`,
      ),
      figure(
        boxPlot({
          title: `Duration in ${unitName} per platform, with outliers`,
          desc: PLATFORMS.map(
            (p) => `${p}: median ${d.byPlatform[p]?.median ?? 'none'}, ${d.byPlatform[p]?.outliers.length ?? 0} outliers`,
          ).join('; '),
          groups: PLATFORMS.map((p) => ({ label: p, color: PLATFORM_COLORS[p], stats: d.byPlatform[p] })),
          xLabel: unitName,
        }),
        `Boxes span the quartiles, the thick line is the median, whiskers reach the furthest value within 1.5 × IQR; circles are outliers beyond it. ` +
          PLATFORMS.map((p) => `${p}: ${fmt(d.byPlatform[p]?.outliers.length ?? 0)} outliers`).join(', ') +
          '.',
      ),
    );
  }
  const longest = [...c.durations.min.longest.slice(0, 5), ...c.durations.season.longest.slice(0, 5)];
  const table = `<div class="table-wrap"><table><caption>Longest titles per unit</caption><thead><tr><th scope="col">id</th><th scope="col">title</th><th scope="col">platform</th><th scope="col">type</th><th scope="col" class="num">duration</th></tr></thead><tbody>${longest
    .map(
      (t) =>
        `<tr><td><code>${esc(t.id)}</code></td><td>${esc(t.title)}</td><td>${t.platform}</td><td>${esc(t.type)}</td><td class="num">${t.duration_int} ${t.duration_type === 'season' && t.duration_int !== 1 ? 'seasons' : t.duration_type}</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
  return `<div class="grid">${parts.join('')}</div>${table}`;
}

function metadataCharts(c: CatalogStats): string {
  return `<div class="grid">${[
    rankedChart(
      'Rating labels',
      c.ratingLabels,
      'titles',
      `The ${c.ratingLabels.length} most frequent rating labels (empty ratings were filled with “g”, which inflates it).`,
    ),
    rankedChart(
      'Countries',
      c.countries,
      'titles',
      'Production countries, each counted once per title (a title may list several). Titles without a country are not shown.',
    ),
    rankedChart(
      'Genres',
      c.genres,
      'titles',
      'Genres from <code>listed_in</code>, each counted once per title; platforms use different genre vocabularies.',
    ),
    rankedChart(
      'Most frequent cast members',
      c.cast,
      'titles',
      'Cast members by number of titles (cast split on commas, trimmed, once per title). Hulu contributes nothing: it has no cast data.',
    ),
  ].join('')}</div>`;
}

function missingTable(c: CatalogStats): string {
  const cell = (v: { nulls: number; total: number }) => {
    const share = v.total ? v.nulls / v.total : 0;
    const shade = `rgba(220, 38, 38, ${(share * 0.55).toFixed(2)})`;
    return `<td class="num" style="background:${shade}" title="${fmt(v.nulls)} of ${fmt(v.total)}">${pct(v.nulls, v.total, 0)}</td>`;
  };
  return `<div class="table-wrap"><table class="heat"><caption>Share of titles with no value, per column and platform</caption><thead><tr><th scope="col">column</th>${PLATFORMS.map((p) => `<th scope="col" class="num">${p}</th>`).join('')}</tr></thead><tbody>${c.missing
    .map((m) => `<tr><th scope="row">${m.column}</th>${PLATFORMS.map((p) => cell(m.byPlatform[p])).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

function ratingCharts(r: RatingStats, source: 'files' | 'stand-in'): string {
  if (r.rows === 0) return '<p>This load has no rating rows, so there is nothing to chart here.</p>';
  const parts: string[] = [];
  const valueLabels = r.values.map((_, i) => ((i + 1) / 2).toFixed(1));
  parts.push(
    figure(
      columnChart({
        title: 'Rating values',
        desc: valueLabels.map((l, i) => `${l}: ${r.values[i]}`).join('; '),
        categories: valueLabels,
        series: [{ name: 'ratings', color: '#0f766e', values: r.values }],
        xLabel: 'rating',
        yLabel: 'ratings',
      }),
      `${fmt(r.rows)} rating rows (source: ${source}). Half-star values make up ${pct(
        r.values.filter((_, i) => i % 2 === 0).reduce((s, n) => s + n, 0),
        r.rows,
      )} of them.`,
    ),
  );
  if (r.titleScores) {
    const s = r.titleScores;
    parts.push(
      figure(
        columnChart({
          title: 'Per-title score',
          desc: `scores from ${s.summary.min} to ${s.summary.max}`,
          categories: s.bins.map((b) => b.label),
          series: [{ name: 'titles', color: '#7c3aed', values: s.bins.map((b) => b.titles) }],
          xLabel: `score (mean rating per title; bins ${s.width} wide; note the zoomed axis)`,
          yLabel: 'titles',
        }),
        `${fmt(s.summary.n)} titles; scores ${fmt(s.summary.min, 3)}–${fmt(s.summary.max, 3)}, mean ${fmt(s.summary.mean, 3)}, sd ${fmt(s.summary.sd, 3)}.`,
      ),
    );
  }
  const u = r.perUser;
  parts.push(
    figure(
      columnChart({
        title: 'Ratings per user',
        desc: u.bins.map((b) => `${b.label}: ${b.users} users`).join('; '),
        categories: u.bins.map((b) => b.label),
        series: [{ name: 'users', color: '#ea580c', values: u.bins.map((b) => b.users) }],
        xLabel: 'ratings per user (bins double in width)',
        yLabel: 'users',
        labelEvery: 2,
      }),
      `${fmt(r.users)} users. Median ${fmt(u.counts.median)} ratings, 90th percentile ${fmt(u.counts.p90)}, 99th ${fmt(u.counts.p99)}, maximum ${fmt(u.counts.max)}; the most active 10% of users give ${pct(u.topDecileShare, 1)} of all ratings: a long tail.`,
    ),
  );
  parts.push(
    figure(
      columnChart({
        title: 'Ratings per year',
        desc: r.perYear.years.map((y, i) => `${y}: ${r.perYear.whole[i] + r.perYear.half[i]}`).join('; '),
        categories: r.perYear.years.map(String),
        series: [
          { name: 'whole-star', color: '#0369a1', values: r.perYear.whole },
          { name: 'half-star', color: '#f59e0b', values: r.perYear.half },
        ],
        xLabel: 'year of the rating',
        yLabel: 'ratings',
        labelEvery: 2,
      }),
      `Ratings from ${r.firstDay ?? '–'} to ${r.lastDay ?? '–'}. The first half-star rating is dated ${r.firstHalfStarDay ?? 'never'}.`,
    ),
  );
  const m = r.userMeans;
  parts.push(
    figure(
      columnChart({
        title: 'Mean rating per user',
        desc: `users with at least ${m.minRatings} ratings; sd ${m.summary.sd}`,
        categories: m.bins.map((b) => b.label),
        series: [{ name: 'users', color: '#be185d', values: m.bins.map((b) => b.users) }],
        xLabel: 'mean rating of the user (bins 0.1 wide)',
        yLabel: 'users',
        labelEvery: 5,
      }),
      `${fmt(m.summary.n)} users with at least ${m.minRatings} ratings; mean ${fmt(m.summary.mean, 2)}, sd ${fmt(m.summary.sd, 2)}. Same rating scale as the per-title scores, on the full 0.5–5 axis.`,
    ),
  );
  return `<div class="grid">${parts.join('')}</div>`;
}

/** The fields of the catalog report this page uses; anything else in it is shown raw below. */
interface Fixes {
  durationMovedFromRating: PerPlatform<number>;
  nullRatingFilledWithG: PerPlatform<number>;
  datesReformatted: PerPlatform<number>;
  datesWithLeadingSpaces: PerPlatform<number>;
  unparseableDates: unknown[];
  unparseableDurations: unknown[];
  withoutDuration: number | null;
  anomalies: { platform: string; description: string; count: number; examples: string[] }[];
}

function readFixes(report: unknown): Fixes | null {
  const r = report as { fixes?: Record<string, unknown>; withoutDuration?: { total?: unknown }; anomalies?: unknown } | null;
  const f = r?.fixes;
  const perPlatform = (v: unknown): v is PerPlatform<number> =>
    typeof v === 'object' && v !== null && PLATFORMS.every((p) => typeof (v as Record<string, unknown>)[p] === 'number');
  if (!f || !perPlatform(f.durationMovedFromRating) || !perPlatform(f.nullRatingFilledWithG) || !perPlatform(f.datesReformatted))
    return null;
  return {
    durationMovedFromRating: f.durationMovedFromRating,
    nullRatingFilledWithG: f.nullRatingFilledWithG,
    datesReformatted: f.datesReformatted,
    datesWithLeadingSpaces: perPlatform(f.datesWithLeadingSpaces)
      ? f.datesWithLeadingSpaces
      : { amazon: 0, disney: 0, hulu: 0, netflix: 0 },
    unparseableDates: Array.isArray(f.unparseableDates) ? f.unparseableDates : [],
    unparseableDurations: Array.isArray(f.unparseableDurations) ? f.unparseableDurations : [],
    withoutDuration: typeof r?.withoutDuration?.total === 'number' ? r.withoutDuration.total : null,
    anomalies: Array.isArray(r?.anomalies) ? (r.anomalies as Fixes['anomalies']) : [],
  };
}

const total = (m: PerPlatform<number>) => PLATFORMS.reduce((s, p) => s + m[p], 0);
const perPlatformText = (m: PerPlatform<number>) =>
  PLATFORMS.filter((p) => m[p] > 0)
    .map((p) => `${p} ${fmt(m[p])}`)
    .join(', ') || 'none';

function qualitySection(fixes: Fixes | null, raw: unknown): string {
  if (!fixes) {
    return `<p>The catalog report has an unexpected shape; here it is as the loader produced it:</p><pre>${esc(JSON.stringify(raw, null, 2) ?? 'null')}</pre>`;
  }
  const rows: [string, PerPlatform<number>][] = [
    ['Duration found in <code>rating</code> while <code>duration</code> was empty: moved', fixes.durationMovedFromRating],
    ['Empty rating filled with “g”', fixes.nullRatingFilledWithG],
    ['<code>date_added</code> rewritten as YYYY-MM-DD', fixes.datesReformatted],
    ['… of which had leading spaces', fixes.datesWithLeadingSpaces],
  ];
  const table = `<div class="table-wrap"><table><caption>Fixes applied by the catalog transformation</caption><thead><tr><th scope="col">fix</th>${PLATFORMS.map((p) => `<th scope="col" class="num">${p}</th>`).join('')}<th scope="col" class="num">total</th></tr></thead><tbody>${rows
    .map(
      ([label, m]) =>
        `<tr><th scope="row">${label}</th>${PLATFORMS.map((p) => `<td class="num">${fmt(m[p])}</td>`).join('')}<td class="num">${fmt(total(m))}</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
  const notes = [
    `Unparseable dates stored as null: ${fmt(fixes.unparseableDates.length)}; unparseable durations stored as null: ${fmt(fixes.unparseableDurations.length)}.`,
    fixes.withoutDuration === null ? '' : `Titles left without a duration after the fix: ${fmt(fixes.withoutDuration)}.`,
    'Every text field is lower-cased; empty fields are stored as null; ids are the platform letter plus <code>show_id</code>.',
  ].filter(Boolean);
  const anomalies = fixes.anomalies.length
    ? `<h3>Anomalies noticed (data kept as is)</h3><ul class="anomalies">${fixes.anomalies
        .map(
          (a) =>
            `<li><strong>${esc(String(a.platform))}</strong>: ${esc(String(a.description))} — ${fmt(Number(a.count))}${
              Array.isArray(a.examples) && a.examples.length
                ? ` <span class="muted">(e.g. ${a.examples
                    .slice(0, 3)
                    .map((e) => esc(String(e)))
                    .join('; ')})</span>`
                : ''
            }</li>`,
        )
        .join('')}</ul>`
    : '<p>No anomalies noticed.</p>';
  return `${table}<ul>${notes.map((n) => `<li>${n}</li>`).join('')}</ul>${anomalies}`;
}

function findings(c: CatalogStats, r: RatingStats, fixes: Fixes | null, source: 'files' | 'stand-in'): string {
  const items: string[] = [];
  const minutes = c.durations.min;
  const seasons = c.durations.season;
  if (minutes.all && minutes.longest[0]) {
    const top = minutes.longest[0];
    const above = minutes.all.outliers.filter((v) => v > minutes.all!.highFence).length;
    const below = minutes.all.outliers.filter((v) => v < minutes.all!.lowFence).length;
    items.push(
      `<strong>Outliers.</strong> Durations in minutes have quartiles ${fmt(minutes.all.q1)}–${fmt(minutes.all.q3)}; ${fmt(above)} titles lie above Tukey's upper fence (${fmt(minutes.all.highFence)} min) and ${fmt(below)} below the lower one. The longest is “${esc(top.title)}” (${top.platform}, ${top.duration_int} min)` +
        (seasons.longest[0]
          ? `; the most seasons, “${esc(seasons.longest[0].title)}” (${seasons.longest[0].platform}, ${seasons.longest[0].duration_int} seasons)`
          : '') +
        `. ${fmt(countBelow(c, 10))} titles run under 10 minutes (shorts and specials). They are real titles, kept; <code>get_max_duration</code> answers with such extremes by design.`,
    );
  }
  const missing = (column: string, p: (typeof PLATFORMS)[number]) => c.missing.find((m) => m.column === column)!.byPlatform[p];
  const huluCast = missing('cast', 'hulu');
  items.push(
    `<strong>Hulu has ${huluCast.nulls === huluCast.total ? 'no cast data at all' : 'little cast data'}.</strong> <code>cast</code> is empty for ${fmt(huluCast.nulls)} of ${fmt(huluCast.total)} Hulu titles (${pct(huluCast.nulls, huluCast.total)}), so the actor query answers 404 for Hulu instead of inventing a winner; director is empty for ${pct(missing('director', 'hulu').nulls, huluCast.total)} too.`,
  );
  const amazonDate = missing('date_added', 'amazon');
  items.push(
    `<strong>Amazon has almost no <code>date_added</code>.</strong> It is empty for ${fmt(amazonDate.nulls)} of ${fmt(amazonDate.total)} Amazon titles (${pct(amazonDate.nulls, amazonDate.total)}); any “recently added” view must say so rather than rank Amazon last.`,
  );
  if (r.titleScores && r.rows > 0) {
    const s = r.titleScores.summary;
    const u = r.userMeans.summary;
    const ratingSd = valueSd(r.values);
    const meanCount = r.titleCounts?.mean ?? NaN;
    const standardError = ratingSd / Math.sqrt(meanCount);
    items.push(
      `<strong>Per-title scores barely differ.</strong> All ${fmt(s.n)} scores lie between ${fmt(s.min, 3)} and ${fmt(s.max, 3)} (sd ${fmt(s.sd, 3)}), while per-user means spread with sd ${fmt(u.sd, 2)}, ${fmt(u.sd / s.sd, 0)} times wider. With ${fmt(meanCount, 0)} ratings per title and a per-rating sd of ${fmt(ratingSd, 2)}, chance alone gives scores an sd of ${fmt(standardError, 3)}: the observed spread is what random assignment of ratings to titles would produce, so a score says almost nothing about a title. For recommendations this means the signal is per user: whether a prediction reaches the default 3.5 threshold depends mostly on the user's own bias, score thresholds such as <code>get_score_count</code>'s <code>scored</code> split titles by noise (${pct(
        r.titleScores.bins.reduce((n, b) => n + (Number(b.label) >= 3.5 ? b.titles : 0), 0),
        s.n,
        0,
      )} of titles score 3.5 or more), and the model is validated on MovieLens data that has real title signal.`,
    );
  }
  if (r.firstHalfStarDay) {
    items.push(
      `<strong>Half stars arrive late.</strong> The first half-star rating is dated ${r.firstHalfStarDay}; before that MovieLens offered whole stars only, so half-star shares over time are not comparable across that date.`,
    );
  }
  if (fixes) {
    items.push(
      `<strong>Data-quality fixes.</strong> ${fmt(total(fixes.durationMovedFromRating))} durations had slipped into <code>rating</code> (${perPlatformText(fixes.durationMovedFromRating)}) and were moved back; ${fmt(total(fixes.nullRatingFilledWithG))} empty ratings became “g”; ${fmt(total(fixes.datesReformatted))} dates were rewritten as YYYY-MM-DD (${fmt(total(fixes.datesWithLeadingSpaces))} had leading spaces)${fixes.withoutDuration === null ? '' : `; ${fmt(fixes.withoutDuration)} titles still have no duration`}. Details in <a href="#quality">data-quality fixes</a>.`,
    );
  }
  items.push(
    source === 'stand-in'
      ? '<strong>Ratings source: stand-in.</strong> No real rating files were present, so the ratings are the deterministic stand-in: per-title counts and means equal the real ones exactly; per-user and time charts show the generator’s model of users, not real behaviour.'
      : '<strong>Ratings source: files.</strong> The ratings are the real rating files.',
  );
  return `<ul class="findings">${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

function countBelow(c: CatalogStats, minutes: number): number {
  return c.durations.min.bins.reduce(
    (n, b) => n + (parseInt(b.label, 10) < minutes ? PLATFORMS.reduce((s, p) => s + b.byPlatform[p], 0) : 0),
    0,
  );
}

/** Standard deviation of single ratings, from the counts per rating value. */
function valueSd(values: number[]): number {
  const n = values.reduce((s, v) => s + v, 0);
  const mean = values.reduce((s, v, i) => s + v * ((i + 1) / 2), 0) / n;
  const variance = values.reduce((s, v, i) => s + v * ((i + 1) / 2 - mean) ** 2, 0) / Math.max(1, n - 1);
  return Math.sqrt(variance);
}

const STYLE = `
:root{color-scheme:light;--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--accent:#2563eb;--bg:#f8fafc}
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#0f172a;color:#f8fafc;padding:28px 20px 20px}
header a{color:#bfdbfe}
.wrap{max-width:1120px;margin:0 auto;padding:0 20px}
header .wrap{padding:0}
h1{margin:0 0 6px;font-size:1.7rem;letter-spacing:-.01em}
.meta{margin:0;color:#cbd5e1;font-size:.95rem}
nav{position:sticky;top:0;z-index:1;background:#fff;border-bottom:1px solid var(--line);overflow-x:auto;white-space:nowrap}
nav a{display:inline-block;padding:10px 12px;color:var(--accent);text-decoration:none;font-size:.92rem}
nav a:hover,nav a:focus{text-decoration:underline}
section{margin:28px 0}
h2{font-size:1.3rem;margin:0 0 12px;padding-top:8px}
h3{font-size:1.05rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:16px}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px}
figcaption{color:var(--muted);font-size:.9rem;margin-top:6px}
svg.chart{width:100%;height:auto;display:block}
.findings{padding:0;list-style:none;display:grid;gap:10px}
.findings li{background:#fff;border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:8px;padding:10px 14px}
.table-wrap{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:10px;margin:16px 0}
table{border-collapse:collapse;width:100%;font-size:.92rem}
caption{text-align:left;padding:10px 12px;font-weight:600}
th,td{padding:6px 12px;border-top:1px solid var(--line);text-align:left;vertical-align:top}
.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}
code{font-size:.9em;background:#eef2ff;padding:0 4px;border-radius:4px}
pre{overflow:auto;background:#fff;border:1px solid var(--line);padding:12px;font-size:.8rem}
footer{color:var(--muted);font-size:.85rem;padding:24px 0 40px}
@media (max-width:600px){body{font-size:15px}header{padding:20px 16px 16px}.wrap{padding:0 12px}h1{font-size:1.35rem}}
`;

function page(body: string, c: CatalogStats, r: RatingStats, source: 'files' | 'stand-in'): string {
  const nav = [
    ['findings', 'Findings'],
    ['catalog', 'Catalog'],
    ['durations', 'Durations'],
    ['metadata', 'Labels & genres'],
    ['missing', 'Missing values'],
    ['ratings', 'Ratings'],
    ['quality', 'Fixes'],
  ]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>EDA report · streaming catalog</title><style>${STYLE}</style></head>
<body><header><div class="wrap"><h1>Exploratory data analysis</h1>
<p class="meta">${fmt(c.total)} titles on ${PLATFORMS.length} platforms · ${fmt(r.rows)} ratings by ${fmt(r.users)} users · ratings source: <strong>${source}</strong> · <a href="/">back to the app</a></p></div></header>
<nav aria-label="Sections"><div class="wrap">${nav}</div></nav>
<main class="wrap">${body}</main>
<footer class="wrap">Rendered by the loader at load time from the transformed catalog and the ingested ratings; charts are static SVG.</footer>
</body></html>
`;
}
