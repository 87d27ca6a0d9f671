// D1 through the REST API: parameterized queries (/query), migrations with wrangler's bookkeeping
// table (so `wrangler d1 migrations apply --remote` and this loader agree), and SQL-file imports
// (/import: init -> upload to the presigned URL -> ingest -> poll), which D1 runs all-or-nothing.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unstable_splitSqlQuery } from 'wrangler';
import type { CloudflareApi } from './cloudflare-api';
import { sqlLiteral } from './titles-sql';

export interface D1QueryResult<Row = Record<string, unknown>> {
  results: Row[];
  success: boolean;
  meta?: { changes?: number; rows_read?: number; rows_written?: number; duration?: number };
}

interface ImportState {
  success?: boolean;
  type?: 'import';
  status?: 'complete' | 'error';
  error?: string;
  messages?: string[];
  at_bookmark?: string;
  upload_url?: string;
  filename?: string;
  result?: { num_queries?: number; final_bookmark?: string; meta?: { rows_written?: number; duration?: number } };
}

export interface ImportOutcome {
  queries: number;
  rowsWritten: number | null;
  finalBookmark: string | null;
  uploaded: boolean;
}

const MIGRATIONS_TABLE = 'd1_migrations';

function databasePath(api: CloudflareApi, databaseId: string, action: string): string {
  return api.account(`/d1/database/${encodeURIComponent(databaseId)}/${action}`);
}

/** One statement (or several joined by semicolons, run as a batch). Params are strings, as the API documents. */
export async function queryD1<Row = Record<string, unknown>>(
  api: CloudflareApi,
  databaseId: string,
  sql: string,
  params: string[] = [],
): Promise<D1QueryResult<Row>[]> {
  const body = params.length > 0 ? { sql, params } : { sql };
  const results = await api.call<D1QueryResult<Row>[]>('POST', databasePath(api, databaseId, 'query'), body);
  const failed = results.findIndex((r) => r.success === false);
  if (failed >= 0) throw new Error(`D1 query statement ${failed + 1} reported failure: ${sql.slice(0, 120)}`);
  return results;
}

/** Applies pending migrations/*.sql, each with its bookkeeping row in the same batch. Returns their names. */
export async function applyRemoteMigrations(api: CloudflareApi, databaseId: string, dir: string, log: (m: string) => void = () => {}): Promise<string[]> {
  await queryD1(api, databaseId, `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE}(
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`);
  const appliedNow = async () =>
    new Set((await queryD1<{ name: string }>(api, databaseId, `SELECT name FROM ${MIGRATIONS_TABLE}`))[0].results.map((r) => r.name));
  const applied = await appliedNow();
  const pending = readdirSync(dir).filter((f) => f.endsWith('.sql') && !applied.has(f)).sort();
  for (const name of pending) {
    const statements = unstable_splitSqlQuery(readFileSync(join(dir, name), 'utf8'));
    statements.push(`INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES (${sqlLiteral(name)})`);
    try {
      await queryD1(api, databaseId, statements.join(';\n'));
    } catch (err) {
      // A retried request may have committed on its first attempt: trust the bookkeeping table.
      if (!(await appliedNow()).has(name)) throw err;
    }
    log(`d1: migration ${name} applied`);
  }
  return pending;
}

export interface ImportOptions {
  pollIntervalMs?: number;
  timeoutMs?: number;
  log?: (m: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs an SQL file through D1's import API and waits for it to finish; throws if D1 reports an error. */
export async function importSqlFile(api: CloudflareApi, databaseId: string, sql: string, options: ImportOptions = {}): Promise<ImportOutcome> {
  const log = options.log ?? (() => {});
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  const path = databasePath(api, databaseId, 'import');
  const bytes = new TextEncoder().encode(sql);
  const etag = createHash('md5').update(bytes).digest('hex');

  const init = await api.call<ImportState>('POST', path, { action: 'init', etag });
  let state = init;
  const uploaded = typeof init.upload_url === 'string';
  if (uploaded) {
    const headers = await api.putPresigned(init.upload_url!, bytes);
    const returned = headers.get('etag')?.replace(/^"|"$/g, '');
    if (returned !== etag) throw new Error(`D1 import: the uploaded file's etag ${returned ?? '(none)'} does not match its md5 ${etag}`);
    state = await api.call<ImportState>('POST', path, { action: 'ingest', etag, filename: init.filename });
  } else if (!init.status && !init.at_bookmark) {
    // Uploaded by an earlier attempt that did not get to ingest it.
    state = await api.call<ImportState>('POST', path, { action: 'ingest', etag, filename: init.filename });
  }
  for (;;) {
    for (const message of state.messages ?? []) log(`d1 import: ${message}`);
    if (state.success === false) throw new Error(`D1 import failed: ${state.error ?? 'success: false'}`);
    if (state.status === 'error') throw new Error(`D1 import failed: ${state.error ?? 'unknown error'}`);
    if (state.status === 'complete') {
      return {
        queries: state.result?.num_queries ?? 0,
        rowsWritten: state.result?.meta?.rows_written ?? null,
        finalBookmark: state.result?.final_bookmark ?? null,
        uploaded,
      };
    }
    if (!state.at_bookmark) throw new Error('D1 import: the response has neither a status nor a bookmark to poll');
    if (Date.now() > deadline) throw new Error(`D1 import still running at bookmark ${state.at_bookmark} after the timeout`);
    await sleep(options.pollIntervalMs ?? 1000);
    state = await api.call<ImportState>('POST', path, { action: 'poll', current_bookmark: state.at_bookmark });
  }
}
