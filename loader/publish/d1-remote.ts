// D1 through the official SDK: parameterized statements and batches (/query), and SQL-file imports
// (/import: init -> upload to the presigned URL -> ingest -> poll), which D1 runs all-or-nothing.
// Migrations go through loader/publish/migrations.ts over remoteStores()' D1Writer, like the local ones.
import { createHash } from 'node:crypto';
import type { DatabaseImportParams, DatabaseImportResponse } from 'cloudflare/resources/d1/database/database';
import type { CloudflareClient } from './cloudflare-client';

export interface D1QueryResult<Row = Record<string, unknown>> {
  results: Row[];
  success: boolean;
  meta?: { changes?: number; rows_read?: number; rows_written?: number; duration?: number };
}

export interface D1Statement {
  sql: string;
  /** The API documents params as strings; SQLite compares them to TEXT columns exactly. */
  params?: string[];
}

export interface ImportOutcome {
  queries: number;
  rowsWritten: number | null;
  finalBookmark: string | null;
  uploaded: boolean;
}

/** One statement. Params are strings, as the API documents. */
export async function queryD1<Row = Record<string, unknown>>(
  client: CloudflareClient,
  databaseId: string,
  sql: string,
  params: string[] = [],
): Promise<D1QueryResult<Row>> {
  const [result] = await batchD1<Row>(client, databaseId, [{ sql, params }]);
  return result;
}

/** Several statements in one request (the API's `batch`), run in order; one result per statement. */
export async function batchD1<Row = Record<string, unknown>>(
  client: CloudflareClient,
  databaseId: string,
  statements: D1Statement[],
): Promise<D1QueryResult<Row>[]> {
  const body = statements.map(({ sql, params }) => (params && params.length > 0 ? { sql, params } : { sql }));
  const label = `D1 query (${statements[0].sql.slice(0, 60).replace(/\s+/g, ' ')}${statements.length > 1 ? ` and ${statements.length - 1} more` : ''})`;
  const page = await client.call(label, () =>
    client.sdk.d1.database.query(
      databaseId,
      body.length === 1 ? { account_id: client.accountId, ...body[0] } : { account_id: client.accountId, batch: body },
    ),
  );
  const results = page.getPaginatedItems() as D1QueryResult<Row>[];
  const failed = results.findIndex((r) => r.success === false);
  if (failed >= 0) throw new Error(`${label}: statement ${failed + 1} reported failure`);
  if (results.length !== statements.length) throw new Error(`${label}: ${results.length} results for ${statements.length} statements`);
  return results;
}

export interface ImportOptions {
  pollIntervalMs?: number;
  timeoutMs?: number;
  log?: (m: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs an SQL file through D1's import API and waits for it to finish; throws if D1 reports an error. */
export async function importSqlFile(
  client: CloudflareClient,
  databaseId: string,
  sql: string,
  options: ImportOptions = {},
): Promise<ImportOutcome> {
  const log = options.log ?? (() => {});
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  const bytes = new TextEncoder().encode(sql);
  const etag = createHash('md5').update(bytes).digest('hex');
  const step = (params: DatabaseImportParams) =>
    client.call(`D1 import (${params.action})`, () => client.sdk.d1.database.import(databaseId, params)) as Promise<DatabaseImportResponse>;
  const account_id = client.accountId;

  const init = await step({ account_id, action: 'init', etag });
  let state = init;
  const uploaded = typeof init.upload_url === 'string';
  if (uploaded) {
    // The presigned URL's own signature authorizes the upload: the API token must not go with it.
    const response = await client.call('D1 import (upload)', () =>
      client.sdk.put(init.upload_url!, { body: bytes, headers: { Authorization: null } }).asResponse(),
    );
    const returned = response.headers.get('etag')?.replace(/^"|"$/g, '');
    if (returned !== etag) throw new Error(`D1 import: the uploaded file's etag ${returned ?? '(none)'} does not match its md5 ${etag}`);
    state = await step({ account_id, action: 'ingest', etag, filename: init.filename! });
  } else if (!init.status && !init.at_bookmark) {
    // Uploaded by an earlier attempt that did not get to ingest it.
    state = await step({ account_id, action: 'ingest', etag, filename: init.filename! });
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
    state = await step({ account_id, action: 'poll', current_bookmark: state.at_bookmark });
  }
}
