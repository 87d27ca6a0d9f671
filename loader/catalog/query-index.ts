// Precomputes every answer of the four catalog queries from the transformed, scored catalog and packs
// them into the single binary value described in contract/indexes.ts.
import {
  DURATION_TYPES,
  NO_ANSWER,
  PLATFORMS,
  cellIndex,
  compareCodePoints,
  encodeQueryIndex,
  maxDurationGridIndex,
  maxDurationGridSize,
  type PlatformCounts,
  type QueryIndexData,
  type Title,
} from '../../contract';

export function buildQueryIndex(titles: Title[]): Uint8Array {
  return encodeQueryIndex(computeQueryIndexData(titles));
}

export function computeQueryIndexData(titles: Title[]): QueryIndexData {
  const years = [...new Set(titles.map((t) => t.release_year))].sort((a, b) => a - b);
  const yearIndex = new Map(years.map((year, i) => [year, i]));
  const Y = years.length;
  const cellOf = (t: Title) => cellIndex(Y, PLATFORMS.indexOf(t.platform), yearIndex.get(t.release_year)!);

  const platforms: PlatformCounts[] = PLATFORMS.map(() => ({ movies: 0, tvShows: 0, total: 0, hasCast: false }));
  const titlesPerCell = new Uint32Array(PLATFORMS.length * Y);
  const scoresPerCell: number[][] = Array.from({ length: PLATFORMS.length * Y }, () => []);
  const actorCounts: Map<string, number>[] = Array.from({ length: PLATFORMS.length * Y }, () => new Map());
  const best = new Int32Array(maxDurationGridSize(Y)).fill(-1); // title index per grid slot

  titles.forEach((t, i) => {
    const p = PLATFORMS.indexOf(t.platform);
    if (p < 0) throw new Error(`title ${t.id}: unknown platform ${t.platform}`);
    const cell = cellOf(t);
    const counts = platforms[p];
    counts.total++;
    if (t.type === 'movie') counts.movies++;
    else if (t.type === 'tv show') counts.tvShows++;
    titlesPerCell[cell]++;

    if (t.type === 'movie' && t.score !== null) scoresPerCell[cell].push(t.score);

    const names = castNames(t.cast);
    if (names.size > 0) counts.hasCast = true;
    for (const name of names) actorCounts[cell].set(name, (actorCounts[cell].get(name) ?? 0) + 1);

    if (t.duration_int !== null && t.duration_type !== null) {
      const unit = DURATION_TYPES.indexOf(t.duration_type);
      for (const yearSlot of [0, 1 + yearIndex.get(t.release_year)!]) {
        for (const platformSlot of [0, 1 + p]) {
          const slot = maxDurationGridIndex(yearSlot, platformSlot, unit);
          if (best[slot] < 0 || longerFirst(t, titles[best[slot]]) < 0) best[slot] = i;
        }
      }
    }
  });

  return {
    years,
    platforms,
    titlesPerCell,
    maxDuration: packAnswers(titles, best),
    scores: packScores(scoresPerCell),
    actors: packActors(actorCounts),
  };
}

/** Cast members of one title: split on commas, trimmed, empties dropped, each name once. */
export function castNames(cast: string | null): Set<string> {
  const names = new Set<string>();
  if (cast === null) return names;
  for (const part of cast.split(',')) {
    const name = part.trim();
    if (name !== '') names.add(name);
  }
  return names;
}

/** Negative when a ranks before b: longer first, then title in code-point order, then id. */
function longerFirst(a: Title, b: Title): number {
  return b.duration_int! - a.duration_int! || compareCodePoints(a.title, b.title) || compareCodePoints(a.id, b.id);
}

function packAnswers(titles: Title[], best: Int32Array): QueryIndexData['maxDuration'] {
  const answerOf = new Map<number, number>();
  const answers: QueryIndexData['maxDuration']['answers'] = [];
  const grid = new Uint32Array(best.length).fill(NO_ANSWER);
  best.forEach((titleIndex, slot) => {
    if (titleIndex < 0) return;
    let a = answerOf.get(titleIndex);
    if (a === undefined) {
      const t = titles[titleIndex];
      a = answers.length;
      answers.push({
        id: t.id,
        title: t.title,
        platform: t.platform,
        type: t.type,
        release_year: t.release_year,
        duration_int: t.duration_int!,
        duration_type: t.duration_type!,
      });
      answerOf.set(titleIndex, a);
    }
    grid[slot] = a;
  });
  return { answers, grid };
}

function packScores(scoresPerCell: number[][]): QueryIndexData['scores'] {
  const start = new Uint32Array(scoresPerCell.length + 1);
  const values = new Float64Array(scoresPerCell.reduce((n, s) => n + s.length, 0));
  scoresPerCell.forEach((scores, cell) => {
    values.set(Float64Array.from(scores).sort(), start[cell]); // typed-array sort is numeric
    start[cell + 1] = start[cell] + scores.length;
  });
  return { start, values };
}

function packActors(actorCounts: Map<string, number>[]): QueryIndexData['actors'] {
  const topCount = new Uint32Array(actorCounts.length);
  const tiedStart = new Uint32Array(actorCounts.length + 1);
  const tied: string[] = [];
  actorCounts.forEach((counts, cell) => {
    let top = 0;
    for (const n of counts.values()) top = Math.max(top, n);
    topCount[cell] = top;
    if (top > 0)
      tied.push(
        ...[...counts]
          .filter(([, n]) => n === top)
          .map(([name]) => name)
          .sort(compareCodePoints),
      );
    tiedStart[cell + 1] = tied.length;
  });
  return { topCount, tiedStart, tied };
}
