// Applies migrations/*.sql the way `wrangler d1 migrations apply` does (same bookkeeping table), so
// the loader and wrangler agree on what a database already has: locally through Miniflare's D1, on an
// account through the SDK (remoteStores().db), each migration with its bookkeeping row in one batch.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitQuery, sqliteSplitterOptions } from 'dbgate-query-splitter';

interface D1 {
  prepare(sql: string): { bind(...values: unknown[]): { all(): Promise<{ results: unknown[] }> }; all(): Promise<{ results: unknown[] }> };
  batch(statements: never[]): Promise<unknown>;
}

const TABLE = 'd1_migrations';

export async function applyMigrations(db: D1, dir: string, log: (message: string) => void = () => {}): Promise<string[]> {
  await db.batch([
    db.prepare(`CREATE TABLE IF NOT EXISTS ${TABLE}(
      id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
      applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`),
  ] as never[]);
  const applied = new Set(((await db.prepare(`SELECT name FROM ${TABLE}`).all()).results as { name: string }[]).map((r) => r.name));
  const pending = readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && !applied.has(f))
    .sort();
  if (pending.length === 0) return pending;
  for (const name of pending) {
    const statements = splitMigration(readFileSync(join(dir, name), 'utf8')).map((sql) => db.prepare(sql));
    statements.push(db.prepare(`INSERT INTO ${TABLE} (name) VALUES (?1)`).bind(name) as never);
    try {
      await db.batch(statements as never[]);
    } catch (err) {
      // Over the REST API, a retried request may have committed on its first attempt: trust the bookkeeping table.
      if ((await db.prepare(`SELECT 1 FROM ${TABLE} WHERE name = ?1`).bind(name).all()).results.length === 0) throw err;
    }
    log(`d1: migration ${name} applied`);
  }
  return pending;
}

/**
 * A migration file's statements, as `wrangler d1 migrations apply` splits them (a test holds the two
 * splitters to the same statements on every migration), with a SQLite-aware splitter instead of
 * wrangler's own: importing wrangler for it cost the loader ~150 MiB of RSS through the publish.
 */
export function splitMigration(sql: string): string[] {
  return splitQuery(sql, sqliteSplitterOptions)
    .map((s) => (typeof s === 'string' ? s : s.text).trim())
    .filter((s) => s.length > 0);
}
