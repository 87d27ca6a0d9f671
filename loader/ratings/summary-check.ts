/**
 * Checks ingested per-title aggregates against the committed summary of the real ratings (docs/reference.md#errors-and-bad-input:
 * real rating files are checked against it and the differences reported).
 */
import type { TitleSummary } from './summary';

export type SummaryField = 'n_ratings' | 'rating_sum' | 'n_half_star_ratings';

export interface SummaryDifference {
  movieId: string;
  field: SummaryField;
  expected: number; // summary
  actual: number; // ingested
}

export interface SummaryCheck {
  ok: boolean; // no title differs and both sides list the same titles
  titlesCompared: number;
  titlesDiffering: number;
  byField: Record<SummaryField, number>; // titles differing in each field
  notInSummary: string[]; // catalog ids the summary lacks (first 20)
  notInSummaryCount: number;
  notInCatalog: string[]; // summary ids the catalog lacks (first 20)
  notInCatalogCount: number;
  examples: SummaryDifference[]; // first 20 differences
  totals: { expectedRows: number; actualRows: number; expectedSum: number; actualSum: number };
}

const MAX_LISTED = 20;

export function compareWithSummary(
  perTitle: { count: Uint32Array; sum: Float64Array; halfStars: Uint32Array },
  titleIds: string[],
  summary: TitleSummary[],
): SummaryCheck {
  const byId = new Map(summary.map((s) => [s.movieId, s]));
  const catalogIds = new Set(titleIds);
  const byField: Record<SummaryField, number> = { n_ratings: 0, rating_sum: 0, n_half_star_ratings: 0 };
  const examples: SummaryDifference[] = [];
  const notInSummary: string[] = [];
  const totals = { expectedRows: 0, actualRows: 0, expectedSum: 0, actualSum: 0 };
  let compared = 0;
  let differing = 0;
  titleIds.forEach((id, t) => {
    totals.actualRows += perTitle.count[t];
    totals.actualSum += perTitle.sum[t];
    const s = byId.get(id);
    if (s === undefined) {
      notInSummary.push(id);
      return;
    }
    compared++;
    const actual: Record<SummaryField, number> = {
      n_ratings: perTitle.count[t],
      rating_sum: perTitle.sum[t],
      n_half_star_ratings: perTitle.halfStars[t],
    };
    let differs = false;
    for (const field of Object.keys(byField) as SummaryField[]) {
      if (actual[field] === s[field]) continue;
      differs = true;
      byField[field]++;
      if (examples.length < MAX_LISTED) examples.push({ movieId: id, field, expected: s[field], actual: actual[field] });
    }
    if (differs) differing++;
  });
  const notInCatalog: string[] = [];
  for (const s of summary) {
    totals.expectedRows += s.n_ratings;
    totals.expectedSum += s.rating_sum;
    if (!catalogIds.has(s.movieId)) notInCatalog.push(s.movieId);
  }
  return {
    ok: differing === 0 && notInSummary.length === 0 && notInCatalog.length === 0,
    titlesCompared: compared,
    titlesDiffering: differing,
    byField,
    notInSummary: notInSummary.slice(0, MAX_LISTED),
    notInSummaryCount: notInSummary.length,
    notInCatalog: notInCatalog.slice(0, MAX_LISTED),
    notInCatalogCount: notInCatalog.length,
    examples,
    totals,
  };
}
