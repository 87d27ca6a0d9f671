import type { DurationType, Platform } from './names';

/** One transformed catalog row (docs/reference.md#catalog-transformations). All text lower-case; dates YYYY-MM-DD. */
export interface Title {
  id: string; // platform letter + show_id, e.g. "as123"
  platform: Platform;
  show_id: string;
  type: string; // "movie" | "tv show"
  title: string;
  director: string | null;
  cast: string | null;
  country: string | null;
  date_added: string | null; // YYYY-MM-DD
  release_year: number;
  rating: string; // null ratings become "g"
  duration_int: number | null;
  duration_type: DurationType | null;
  listed_in: string | null;
  description: string | null;
  score: number | null; // float64 mean of all the title's ratings; null only if the title has no rating
  n_ratings: number;
}

/** Column order of the D1 `titles` table and of the CSV export. */
export const TITLE_COLUMNS = [
  'id',
  'platform',
  'show_id',
  'type',
  'title',
  'director',
  'cast',
  'country',
  'date_added',
  'release_year',
  'rating',
  'duration_int',
  'duration_type',
  'listed_in',
  'description',
  'score',
  'n_ratings',
] as const satisfies readonly (keyof Title)[];
