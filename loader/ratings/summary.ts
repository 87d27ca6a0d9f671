import { config } from '../config';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';

/** Per-title aggregates of the real ratings (data/movie_ratings_summary.csv.gz, see docs/reference.md#summary-file). */
export interface TitleSummary {
  movieId: string;
  platform: string;
  n_ratings: number;
  rating_sum: number; // a multiple of 0.5, so exact in float64
  n_half_star_ratings: number;
}

export const SUMMARY_PATH = config.summaryPath;

export function readSummary(path: string = SUMMARY_PATH): TitleSummary[] {
  const records: Record<string, string>[] = parse(gunzipSync(readFileSync(path)), { columns: true });
  return records.map((r) => ({
    movieId: r.movieId,
    platform: r.platform,
    n_ratings: Number(r.n_ratings),
    rating_sum: Number(r.rating_sum),
    n_half_star_ratings: Number(r.n_half_star_ratings),
  }));
}
