// The catalog side of a fold: new ratings change titles' scores (the mean of ALL their rating rows,
// duplicates included, docs/reference.md#catalog-transformations rule 7) and so the query index's score sections. Pure functions.
import { cellIndex, encodeQueryIndex, PLATFORMS, type Platform, type QueryIndex } from '../contract';

/** What the fold needs of a title's D1 row in the base version. */
export interface ScoredTitle {
  id: string;
  type: string;
  platform: Platform;
  release_year: number;
  score: number | null;
  n_ratings: number;
}

export interface ScoreChange extends ScoredTitle {
  oldScore: number | null;
  oldCount: number;
}

/**
 * New score and count of every title that received ratings. The old rating sum is recovered exactly
 * from the stored float64 mean: ratings are half stars, so the sum is a multiple of 0.5 and
 * score * n is within far less than 0.25 of it. The new score is then (sum + added) / (n + m) in
 * float64, the same division the loader does, so it is bit-identical to recomputing from all rows.
 */
export function foldScores(base: ReadonlyMap<string, ScoredTitle>, added: Iterable<{ movieId: string; halves: number }>): ScoreChange[] {
  const sums = new Map<string, { halves: number; count: number }>();
  for (const r of added) {
    const s = sums.get(r.movieId) ?? { halves: 0, count: 0 };
    s.halves += r.halves;
    s.count++;
    sums.set(r.movieId, s);
  }
  const changes: ScoreChange[] = [];
  for (const [id, s] of [...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const title = base.get(id);
    if (!title) throw new RangeError(`foldScores: title ${id} is not in the base version`);
    const oldHalves = title.score === null || title.n_ratings === 0 ? 0 : Math.round(title.score * title.n_ratings * 2);
    const count = title.n_ratings + s.count;
    changes.push({
      ...title,
      score: (oldHalves + s.halves) / 2 / count,
      n_ratings: count,
      oldScore: title.score,
      oldCount: title.n_ratings,
    });
  }
  return changes;
}

/**
 * The query index with its score sections updated: each changed movie's old score leaves its
 * (platform, year) cell and the new one enters it, cells kept ascending. Everything else is copied,
 * so the encoding of an unchanged index is byte-identical to the loader's.
 */
export function patchQueryIndexScores(index: QueryIndex, changes: readonly ScoreChange[]): Uint8Array {
  const Y = index.years.length;
  const cells = PLATFORMS.length * Y;
  const byCell = new Map<number, ScoreChange[]>();
  for (const c of changes) {
    if (c.type !== 'movie') continue; // get_score_count counts movies only; the index holds no others
    const y = index.yearSlot.get(c.release_year);
    const p = PLATFORMS.indexOf(c.platform);
    if (y === undefined || p < 0)
      throw new RangeError(`patchQueryIndexScores: ${c.id} (${c.platform}, ${c.release_year}) has no cell in the index`);
    const cell = cellIndex(Y, p, y);
    byCell.set(cell, [...(byCell.get(cell) ?? []), c]);
  }
  const { start, values } = index.scores;
  const out: number[] = [];
  const newStart = new Uint32Array(cells + 1);
  for (let cell = 0; cell < cells; cell++) {
    newStart[cell] = out.length;
    const slice = Array.from(values.subarray(start[cell], start[cell + 1]));
    const cellChanges = byCell.get(cell);
    if (cellChanges) {
      for (const c of cellChanges) {
        if (c.oldScore !== null) {
          const at = slice.indexOf(c.oldScore);
          if (at < 0)
            throw new RangeError(`patchQueryIndexScores: ${c.id}'s score ${c.oldScore} is not in its cell; index and catalog disagree`);
          slice.splice(at, 1);
        }
        if (c.score !== null) slice.push(c.score);
      }
      slice.sort((a, b) => a - b);
    }
    out.push(...slice);
  }
  newStart[cells] = out.length;
  return encodeQueryIndex({ ...index, scores: { start: newStart, values: Float64Array.from(out) } });
}
