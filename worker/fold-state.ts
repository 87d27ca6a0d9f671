// The fold's D1 side: which ratings are pending, what each fold did, and the catalog rows of the
// version a fold builds. All queries parameterized; the state lives here, not in KV, because a KV read
// can be a minute stale while D1 answers with what was committed.
import { TITLE_COLUMNS, type Platform } from '../contract';
import type { ScoreChange, ScoredTitle } from './fold-scores';

export interface PendingRating {
  id: number;
  userId: number;
  movieId: string;
  halves: number;
  receivedAt: string; // when its batch was accepted
}

export interface FoldRow {
  version: string;
  base_version: string;
  from_id: number;
  watermark: number;
  ratings: number;
  users: number;
  titles: number;
  shards: number;
  status: 'started' | 'live';
  started_at: string;
  published_at: string | null;
}

const PENDING_SELECT = `SELECT p.id AS id, p.user_id AS userId, p.movie_id AS movieId, p.halves AS halves, b.received_at AS receivedAt
  FROM pending_ratings p JOIN ingest_batches b ON b.id = p.batch_id`;

/** Ratings after `fromId`, in id order: at most `limit`, or exactly those up to `throughId`. */
export async function pendingRatings(
  db: D1Database,
  fromId: number,
  bound: { limit: number } | { throughId: number },
): Promise<PendingRating[]> {
  const statement =
    'limit' in bound
      ? db.prepare(`${PENDING_SELECT} WHERE p.id > ?1 ORDER BY p.id LIMIT ?2`).bind(fromId, bound.limit)
      : db.prepare(`${PENDING_SELECT} WHERE p.id > ?1 AND p.id <= ?2 ORDER BY p.id`).bind(fromId, bound.throughId);
  return (await statement.all<PendingRating>()).results;
}

export async function foldOf(db: D1Database, version: string): Promise<FoldRow | null> {
  return db.prepare('SELECT * FROM folds WHERE version = ?1').bind(version).first<FoldRow>();
}

/** The most recent fold whose pointer flip was recorded. */
export async function latestLiveFold(db: D1Database): Promise<FoldRow | null> {
  return db.prepare("SELECT * FROM folds WHERE status = 'live' ORDER BY published_at DESC LIMIT 1").first<FoldRow>();
}

/** An unfinished fold of this base from this watermark on, to resume with its own bounds. */
export async function unfinishedFold(db: D1Database, baseVersion: string, fromId: number): Promise<FoldRow | null> {
  return db
    .prepare("SELECT * FROM folds WHERE base_version = ?1 AND from_id = ?2 AND status = 'started' ORDER BY watermark DESC LIMIT 1")
    .bind(baseVersion, fromId)
    .first<FoldRow>();
}

export async function recordFoldStarted(db: D1Database, row: Omit<FoldRow, 'status' | 'published_at'>): Promise<void> {
  await db
    .prepare(
      `INSERT INTO folds (version, base_version, from_id, watermark, ratings, users, titles, shards, status, started_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'started', ?9) ON CONFLICT (version) DO NOTHING`,
    )
    .bind(row.version, row.base_version, row.from_id, row.watermark, row.ratings, row.users, row.titles, row.shards, row.started_at)
    .run();
}

export async function recordFoldLive(db: D1Database, version: string, publishedAt: string): Promise<void> {
  await db.prepare("UPDATE folds SET status = 'live', published_at = ?2 WHERE version = ?1").bind(version, publishedAt).run();
}

/** The base version's rows of the titles that received ratings. */
export async function scoredTitles(db: D1Database, version: string, ids: Iterable<string>): Promise<Map<string, ScoredTitle>> {
  const { results } = await db
    .prepare(
      `SELECT id, type, platform, release_year, score, n_ratings FROM titles
       WHERE version = ?1 AND id IN (SELECT value FROM json_each(?2))`,
    )
    .bind(version, JSON.stringify([...ids]))
    .all<ScoredTitle & { platform: Platform }>();
  return new Map(results.map((r) => [r.id, r]));
}

const COLUMNS = TITLE_COLUMNS.map((c) => `"${c}"`).join(', ');

/**
 * The new version's catalog rows: the base's, with the changed scores. One D1 batch, so one
 * transaction: the version's rows are either all there or not at all.
 */
export async function writeVersionRows(
  db: D1Database,
  baseVersion: string,
  version: string,
  changes: readonly ScoreChange[],
): Promise<void> {
  const updates = JSON.stringify(changes.map((c) => [c.id, c.score, c.n_ratings]));
  await db.batch([
    db.prepare('DELETE FROM titles WHERE version = ?1').bind(version),
    db
      .prepare(`INSERT INTO titles (version, ${COLUMNS}, search_text) SELECT ?1, ${COLUMNS}, search_text FROM titles WHERE version = ?2`)
      .bind(version, baseVersion),
    db
      .prepare(
        `UPDATE titles SET
           score = (SELECT json_extract(value, '$[1]') FROM json_each(?2) WHERE json_extract(value, '$[0]') = titles.id),
           n_ratings = (SELECT json_extract(value, '$[2]') FROM json_each(?2) WHERE json_extract(value, '$[0]') = titles.id)
         WHERE version = ?1 AND id IN (SELECT json_extract(value, '$[0]') FROM json_each(?2))`,
      )
      .bind(version, updates),
  ]);
}

/** Every row of a version, columns in TITLE_COLUMNS order (what the manifest's checksum covers). */
export async function versionRows(db: D1Database, version: string): Promise<Record<string, unknown>[]> {
  return (await db.prepare(`SELECT ${COLUMNS} FROM titles WHERE version = ?1`).bind(version).all()).results;
}

export async function deleteVersionRows(db: D1Database, versions: readonly string[]): Promise<void> {
  if (versions.length === 0) return;
  await db.prepare('DELETE FROM titles WHERE version IN (SELECT value FROM json_each(?1))').bind(JSON.stringify(versions)).run();
}
