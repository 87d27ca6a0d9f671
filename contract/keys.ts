// KV key names shared by loader and worker. Data keys are immutable and versioned; only the
// pointer changes, so readers may cache data keys for as long as they like.

/** The single mutable key: JSON `DataPointer` naming the live version. */
export const CURRENT_KEY = 'meta/current';

/** Immutable key of one artifact of one data version. */
export function dataKey(version: string, name: string): string {
  return `v/${version}/${name}`;
}

/** Artifact names under a version. */
export const ARTIFACT = {
  queryIndex: 'query-index', // binary, see contract/indexes.ts
  health: 'health', // JSON DataHealth
  eda: 'eda.html', // the EDA report, served at /eda
  quality: 'data-quality.json', // the loader's data-quality report
} as const;

export interface DataPointer {
  version: string;
  published_at: string; // ISO time the pointer flipped
}

/** What /health reports about a data version; written by the loader next to the data. */
export interface DataHealth {
  version: string;
  built_at: string;
  ratings_source: 'files' | 'stand-in';
  counts: { titles: number; movies: number; ratings_rows: number; ratings_rejected: number; users: number };
}
