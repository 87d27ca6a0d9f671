// A local stand-in for the parts of Cloudflare's REST API the remote publish uses, built from the
// documented contract (developers.cloudflare.com/api), which the official SDK talks to through its
// base URL. It refuses any request whose shape the documentation does not allow (method, path, query
// parameters, content type, body fields and types), so a wrong call fails a test instead of passing
// against a fake that shares the client's misreading. Operations and their documented limits:
//   PUT  /accounts/:a/storage/kv/namespaces/:ns/bulk        JSON array of {key, value, base64?, expiration?,
//                                                           expiration_ttl?, metadata?}: <= 10,000 pairs,
//                                                           <= 100 MB body, keys <= 512 B, values <= 25 MiB
//   POST /accounts/:a/storage/kv/namespaces/:ns/bulk/get    {keys: <= 100 names, type?: text|json, withMetadata?}
//   POST /accounts/:a/storage/kv/namespaces/:ns/bulk/delete JSON array of <= 10,000 key names
//   GET  /accounts/:a/storage/kv/namespaces/:ns/values/:k   raw bytes, 404 when absent
//   GET  /accounts/:a/storage/kv/namespaces/:ns/keys        ?prefix&cursor&limit; result [{name}] in key order,
//                                                           result_info {cursor ('' on the last page), count}
//   POST /accounts/:a/d1/database/:db/query                 {sql, params?: string[]} or {batch: [{sql, params?}]},
//                                                           statements <= 100,000 B
//   POST /accounts/:a/d1/database/:db/import                init -> (PUT presigned upload) -> ingest -> poll
//   PUT  <presigned upload URL>                             signed by its query; an Authorization header is refused
//                                                           (S3: "only one auth mechanism allowed")
// Every response uses the {success, errors, messages, result} envelope; bearer auth is checked; a
// configurable rate limit answers 429 with Retry-After; failures can be injected per route. SQL runs
// on a real SQLite through Miniflare's D1, so escaping and types are tested for real. Error codes are
// the fake's own, shaped like Cloudflare's.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Miniflare } from 'miniflare';

export type Route = 'kv-bulk' | 'kv-bulk-get' | 'kv-get' | 'kv-list' | 'kv-bulk-delete' | 'd1-query' | 'd1-import' | 'upload' | 'unknown';

export interface FakeLimits {
  maxBulkPairs: number;
  maxBulkBytes: number;
  maxBulkDeleteKeys: number;
  maxBulkGetKeys: number;
  /** Keys per list page (documented: `limit` up to 1,000, the default); tests lower it to exercise the cursor. */
  maxListKeys: number;
  maxKeyBytes: number;
  maxValueBytes: number;
  maxStatementBytes: number;
}
export const DOCUMENTED_LIMITS: FakeLimits = {
  maxBulkPairs: 10_000,
  maxBulkBytes: 100_000_000,
  maxBulkDeleteKeys: 10_000,
  maxBulkGetKeys: 100,
  maxListKeys: 1000,
  maxKeyBytes: 512,
  maxValueBytes: 25 * 1024 * 1024,
  maxStatementBytes: 100_000,
};

export interface FakeCloudflareOptions {
  accountId: string;
  apiToken: string;
  kvNamespaceId: string;
  d1DatabaseId: string;
  limits?: Partial<FakeLimits>;
  /** At most maxRequests API requests per fixed window; beyond that 429 with Retry-After. */
  rateLimit?: { maxRequests: number; windowMs: number };
  /** Polls that report "still running" before an import reports complete. */
  importPollsBeforeComplete?: number;
  /** Simulates a careless server that quotes the request's Authorization header in its errors. */
  echoAuthorizationInErrors?: boolean;
}

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  route: Route;
  status: number;
  bodyBytes: number;
  hadAuthorization: boolean;
  /** kv-bulk, kv-bulk-get, kv-bulk-delete: the keys of the request, in order. */
  keys?: string[];
  /** d1-import: the action. */
  action?: string;
  retryAfter?: string;
}

interface Injected {
  route: Route;
  status: number;
  times: number;
  retryAfter?: number;
  /** Only requests whose bulk keys include this key (kv-bulk), e.g. to fail just the pointer write. */
  key?: string;
}

interface ImportJob {
  bookmark: string;
  pollsLeft: number;
  error?: string;
  queries: number;
  rowsWritten: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class FakeCloudflare {
  readonly requests: RecordedRequest[] = [];
  readonly limits: FakeLimits;
  readonly kv = new Map<string, Uint8Array>();
  /** Keys reported back in `unsuccessful_keys` (each once per entry) instead of being stored. */
  readonly flakyKeys: string[] = [];
  /** Runs before each routed API request is served: a test's way to change the account in between. */
  beforeRoute: ((route: Route) => Promise<void> | void) | null = null;
  /** Keys acknowledged as written but silently not stored: a store that lost (or has not yet got) them. */
  readonly droppedKeys = new Set<string>();
  url = '';
  #server!: Server;
  #mf!: Miniflare;
  #injected: Injected[] = [];
  #window = { start: 0, count: 0 };
  #uploads = new Map<string, { signature: string; sql?: string }>();
  #imports = new Map<string, ImportJob>();
  #bookmarks = 0;

  private constructor(readonly options: FakeCloudflareOptions) {
    this.limits = { ...DOCUMENTED_LIMITS, ...options.limits };
  }

  static async start(options: FakeCloudflareOptions): Promise<FakeCloudflare> {
    const fake = new FakeCloudflare(options);
    fake.#mf = new Miniflare({
      modules: true,
      script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
      d1Databases: { DB: options.d1DatabaseId },
    });
    await fake.#mf.ready;
    fake.#server = createServer((req, res) => void fake.#handle(req, res));
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}/client/v4`;
    return fake;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#mf.dispose();
  }

  /** The D1 database behind the fake, for assertions. */
  async d1() {
    return this.#mf.getD1Database('DB');
  }

  /** The next `times` requests to `route` answer `status` (with Retry-After when given). */
  inject(failure: Injected): void {
    this.#injected.push({ ...failure });
  }

  clearInjected(): void {
    this.#injected = [];
  }

  setRateLimit(rateLimit: FakeCloudflareOptions['rateLimit']): void {
    this.options.rateLimit = rateLimit;
    this.#window = { start: 0, count: 0 };
  }

  kvText(key: string): string | undefined {
    const v = this.kv.get(key);
    return v && new TextDecoder().decode(v);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: RecordedRequest = {
      at: performance.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      route: 'unknown',
      status: 0,
      bodyBytes: body.byteLength,
      hadAuthorization: req.headers.authorization !== undefined,
    };
    this.requests.push(record);
    let status = 200;
    let headers: Record<string, string> = { 'content-type': 'application/json' };
    let payload: Uint8Array | string;
    try {
      const out = await this.#route(req, url, body, record);
      status = out.status ?? 200;
      headers = { ...headers, ...out.headers };
      payload = out.raw ?? JSON.stringify({ success: true, errors: [], messages: [], result: out.result ?? null });
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 10001, `internal error: ${(err as Error).message}`);
      status = e.status;
      headers = { ...headers, ...e.headers };
      const echoed = this.options.echoAuthorizationInErrors ? ` (request had Authorization: ${req.headers.authorization})` : '';
      payload = JSON.stringify({ success: false, errors: [{ code: e.code, message: e.message + echoed }], messages: [], result: null });
    }
    record.status = status;
    record.retryAfter = headers['retry-after'];
    res.writeHead(status, headers);
    res.end(payload);
  }

  async #route(
    req: IncomingMessage,
    url: URL,
    body: Buffer,
    record: RecordedRequest,
  ): Promise<{ status?: number; headers?: Record<string, string>; result?: unknown; raw?: Uint8Array }> {
    const method = req.method ?? 'GET';
    const path = url.pathname;

    // The presigned upload is R2, not the API: its signature authorizes it, no token, no rate limit.
    const upload = path.match(/^\/r2-upload\/(.+)$/);
    if (upload && method === 'PUT') {
      record.route = 'upload';
      this.#failIfInjected('upload');
      if (req.headers.authorization !== undefined)
        throw new HttpError(
          400,
          400,
          'InvalidArgument: Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified',
        );
      const entry = this.#uploads.get(decodeURIComponent(upload[1]));
      if (!entry || url.searchParams.get('X-Amz-Signature') !== entry.signature) throw new HttpError(403, 403, 'SignatureDoesNotMatch');
      entry.sql = body.toString('utf8');
      return { headers: { etag: `"${createHash('md5').update(body).digest('hex')}"` }, raw: new Uint8Array() };
    }

    if (upload) throw new HttpError(405, 405, 'MethodNotAllowed');
    if (!path.startsWith('/client/v4/')) throw new HttpError(404, 7000, `No route for that URI: ${path}`);

    const prefix = `/client/v4/accounts/${this.options.accountId}`;
    const kvPrefix = `${prefix}/storage/kv/namespaces/${this.options.kvNamespaceId}`;
    const d1Prefix = `${prefix}/d1/database/${this.options.d1DatabaseId}`;
    const shape = ROUTES.find(
      (r) =>
        r.method === method &&
        (typeof r.path === 'string' ? path === r.path.replace('{kv}', kvPrefix).replace('{d1}', d1Prefix) : r.path(path, kvPrefix)),
    );
    record.route = shape?.route ?? 'unknown';

    if (req.headers.authorization !== `Bearer ${this.options.apiToken}`) throw new HttpError(403, 10000, 'Authentication error');
    this.#rateLimit();
    if (!shape) throw new HttpError(404, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);
    checkShape(shape, req, url, body);
    await this.beforeRoute?.(shape.route);

    if (record.route === 'kv-bulk') {
      const pairs = this.#parseBulk(body);
      record.keys = pairs.map((p) => p.key);
      this.#failIfInjected('kv-bulk', record.keys);
      const unsuccessful: string[] = [];
      for (const { key, value } of pairs) {
        const flaky = this.flakyKeys.indexOf(key);
        if (flaky >= 0) {
          this.flakyKeys.splice(flaky, 1);
          unsuccessful.push(key);
        } else if (!this.droppedKeys.has(key)) {
          this.kv.set(key, value);
        }
      }
      return { result: { successful_key_count: pairs.length - unsuccessful.length, unsuccessful_keys: unsuccessful } };
    }
    if (record.route === 'kv-get') {
      this.#failIfInjected('kv-get');
      const value = this.kv.get(decodeURIComponent(path.slice(`${kvPrefix}/values/`.length)));
      if (!value) throw new HttpError(404, 10009, 'get: key not found');
      return { headers: { 'content-type': 'application/octet-stream' }, raw: value };
    }
    if (record.route === 'kv-list') {
      this.#failIfInjected('kv-list');
      return this.#list(url.searchParams);
    }
    const json = parseJson(body);
    if (record.route === 'kv-bulk-get') {
      const { keys, type = 'text' } = json as { keys: string[]; type?: string };
      if (keys.length > this.limits.maxBulkGetKeys)
        throw new HttpError(400, 10026, `bulk get of ${keys.length} keys; at most ${this.limits.maxBulkGetKeys} per request`);
      record.keys = keys;
      this.#failIfInjected('kv-bulk-get', keys);
      const values: Record<string, unknown> = {};
      for (const key of keys) {
        const value = this.kv.get(key);
        if (value === undefined) {
          values[key] = null;
          continue;
        }
        const text = new TextDecoder('utf-8', { fatal: true }).decode(value);
        values[key] = type === 'json' ? JSON.parse(text) : text;
      }
      return { result: { values } };
    }
    if (record.route === 'kv-bulk-delete') {
      const keys = json as string[];
      if (keys.length > this.limits.maxBulkDeleteKeys) {
        throw new HttpError(400, 10026, `bulk delete of ${keys.length} keys; at most ${this.limits.maxBulkDeleteKeys} per request`);
      }
      record.keys = keys;
      this.#failIfInjected('kv-bulk-delete', keys);
      for (const key of keys) this.kv.delete(key);
      return { result: { successful_key_count: keys.length, unsuccessful_keys: [] } };
    }
    if (record.route === 'd1-query') {
      this.#failIfInjected('d1-query');
      return { result: await this.#query(json) };
    }
    record.action = String(json.action);
    this.#failIfInjected('d1-import');
    return { result: await this.#import(json) };
  }

  /** Keys in byte order, as KV lists them; the cursor is opaque to clients (here: the last key sent). */
  #list(params: URLSearchParams): { raw: Uint8Array } {
    const prefix = params.get('prefix') ?? '';
    const limitParam = params.get('limit');
    const limit = limitParam === null ? 1000 : Number(limitParam);
    if (!Number.isInteger(limit) || limit < 10 || limit > 1000)
      throw new HttpError(400, 10026, `limit must be an integer from 10 to 1000, not ${limitParam}`);
    const cursor = params.get('cursor');
    let after = '';
    if (cursor) {
      after = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!after.startsWith('k:')) throw new HttpError(400, 10026, 'invalid cursor');
      after = after.slice(2);
    }
    const names = [...this.kv.keys()]
      .filter((k) => k.startsWith(prefix) && (!cursor || Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = names.slice(0, Math.min(limit, this.limits.maxListKeys));
    const more = names.length > page.length;
    const next = more ? Buffer.from(`k:${page[page.length - 1]}`).toString('base64url') : '';
    const envelope = {
      success: true,
      errors: [],
      messages: [],
      result: page.map((name) => ({ name })),
      result_info: { count: page.length, cursor: next },
    };
    return { raw: new TextEncoder().encode(JSON.stringify(envelope)) };
  }

  #rateLimit(): void {
    const limit = this.options.rateLimit;
    if (!limit) return;
    const now = performance.now();
    if (now - this.#window.start >= limit.windowMs) this.#window = { start: now, count: 0 };
    if (++this.#window.count > limit.maxRequests) {
      const retryAfter = Math.max(1, Math.ceil((this.#window.start + limit.windowMs - now) / 1000));
      throw new HttpError(429, 971, 'Please wait and consider throttling your request speed', { 'retry-after': String(retryAfter) });
    }
  }

  #failIfInjected(route: Route, keys?: string[]): void {
    const rule = this.#injected.find((r) => r.route === route && r.times > 0 && (!r.key || keys?.includes(r.key)));
    if (!rule) return;
    rule.times--;
    throw new HttpError(
      rule.status,
      rule.status === 429 ? 971 : 10013,
      `injected failure (HTTP ${rule.status})`,
      rule.retryAfter !== undefined ? { 'retry-after': String(rule.retryAfter) } : {},
    );
  }

  #parseBulk(body: Buffer): { key: string; value: Uint8Array }[] {
    if (body.byteLength > this.limits.maxBulkBytes) {
      throw new HttpError(
        413,
        10011,
        `request body is ${body.byteLength} bytes; bulk writes must be ${this.limits.maxBulkBytes} bytes or less`,
      );
    }
    const items = parseJson(body);
    if (!Array.isArray(items)) throw new HttpError(400, 10026, 'bulk write body must be a JSON array');
    if (items.length > this.limits.maxBulkPairs) {
      throw new HttpError(400, 10026, `bulk write of ${items.length} pairs; at most ${this.limits.maxBulkPairs} per request`);
    }
    return items.map((item: { key?: unknown; value?: unknown; base64?: unknown }) => {
      if (typeof item?.key !== 'string' || typeof item.value !== 'string')
        throw new HttpError(400, 10026, 'each pair needs a string key and value');
      const unknownField = Object.keys(item).find((f) => !BULK_PAIR_FIELDS.has(f));
      if (unknownField) throw new HttpError(400, 10026, `unknown field ${unknownField} in a bulk pair`);
      if (item.base64 !== undefined && typeof item.base64 !== 'boolean') throw new HttpError(400, 10026, 'base64 must be a boolean');
      const keyBytes = Buffer.byteLength(item.key);
      if (keyBytes === 0 || keyBytes > this.limits.maxKeyBytes || item.key === '.' || item.key === '..') {
        throw new HttpError(400, 10019, `invalid key name (${keyBytes} bytes)`);
      }
      let value: Uint8Array;
      if (item.base64 === true) {
        if (item.value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(item.value))
          throw new HttpError(400, 10026, `value of ${item.key} is not valid base64`);
        value = new Uint8Array(Buffer.from(item.value, 'base64'));
      } else {
        value = new TextEncoder().encode(item.value);
      }
      if (value.byteLength > this.limits.maxValueBytes)
        throw new HttpError(413, 10033, `value of ${item.key} exceeds ${this.limits.maxValueBytes} bytes`);
      return { key: item.key, value };
    });
  }

  /** {sql, params} runs one statement; {batch} runs its statements in order, all or nothing. */
  async #query(json: Record<string, unknown>): Promise<unknown[]> {
    const db = await this.d1();
    const items = (Array.isArray(json.batch) ? json.batch : [json]) as { sql: string; params?: string[] }[];
    const statements = items.flatMap(({ sql, params = [] }) => {
      const split = this.#split(sql);
      if (split.length > 1 && params.length > 0) throw new HttpError(400, 7400, 'params cannot be bound to several statements');
      return split.map((s, i) => ({ sql: s, params: i === 0 ? params : [] }));
    });
    try {
      const prepared = statements.map(({ sql, params }) => db.prepare(sql).bind(...params));
      return prepared.length === 1 ? [await prepared[0].all()] : await db.batch(prepared);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, 7500, `${(err as Error).message}: SQLITE_ERROR`);
    }
  }

  #split(sql: string): string[] {
    const statements = splitSql(sql);
    const tooLong = statements.find((s) => Buffer.byteLength(s) > this.limits.maxStatementBytes);
    if (tooLong)
      throw new HttpError(
        400,
        7500,
        `statement too long (${Buffer.byteLength(tooLong)} bytes, limit ${this.limits.maxStatementBytes}): SQLITE_TOOBIG`,
      );
    if (statements.length === 0) throw new HttpError(400, 7500, 'no SQL statements');
    return statements;
  }

  async #import(json: Record<string, unknown>): Promise<unknown> {
    const { action } = json;
    if (action === 'init') {
      const etag = json.etag;
      if (typeof etag !== 'string' || !/^[0-9a-f]{32}$/.test(etag)) throw new HttpError(400, 7400, 'etag must be an md5 hex digest');
      const filename = `${this.options.d1DatabaseId}/${etag}.sql`;
      const existing = this.#uploads.get(filename);
      if (existing?.sql !== undefined) return { success: true, type: 'import', filename };
      const signature = randomBytes(16).toString('hex');
      this.#uploads.set(filename, { signature });
      const origin = this.url.replace(/\/client\/v4$/, '');
      return {
        success: true,
        type: 'import',
        filename,
        upload_url: `${origin}/r2-upload/${encodeURIComponent(filename)}?X-Amz-Signature=${signature}`,
      };
    }
    if (action === 'ingest') {
      const { etag, filename } = json;
      const entry = typeof filename === 'string' ? this.#uploads.get(filename) : undefined;
      if (!entry?.sql) throw new HttpError(400, 7400, `file ${String(filename)} has not been uploaded`);
      if (createHash('md5').update(entry.sql).digest('hex') !== etag)
        throw new HttpError(400, 7400, 'etag does not match the uploaded file');
      const job: ImportJob = {
        bookmark: `bookmark-${++this.#bookmarks}`,
        pollsLeft: this.options.importPollsBeforeComplete ?? 1,
        queries: 0,
        rowsWritten: 0,
      };
      this.#imports.set(job.bookmark, job);
      try {
        const db = await this.d1();
        const statements = this.#split(entry.sql);
        if (statements.some((s) => /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i.test(s)))
          throw new Error('explicit transactions are not allowed in imports');
        // One batch: all or nothing, as D1 documents for imports.
        const results = await db.batch(statements.map((s) => db.prepare(s)));
        job.queries = statements.length;
        job.rowsWritten = results.reduce((n, r) => n + (r.meta?.rows_written ?? 0), 0);
      } catch (err) {
        job.error = err instanceof HttpError || err instanceof Error ? err.message : String(err);
      }
      return this.#importState(job, ['Uploaded, processing the file']);
    }
    if (action === 'poll') {
      const job = this.#imports.get(String(json.current_bookmark));
      if (!job) throw new HttpError(400, 7400, `no import at bookmark ${String(json.current_bookmark)}`);
      if (job.pollsLeft > 0) job.pollsLeft--;
      return this.#importState(job, []);
    }
    throw new HttpError(400, 7400, `unknown import action ${String(action)}`);
  }

  #importState(job: ImportJob, messages: string[]): unknown {
    if (job.pollsLeft > 0) return { success: true, type: 'import', at_bookmark: job.bookmark, messages };
    if (job.error) return { success: false, type: 'import', status: 'error', at_bookmark: job.bookmark, error: job.error, messages };
    return {
      success: true,
      type: 'import',
      status: 'complete',
      at_bookmark: job.bookmark,
      messages,
      result: { num_queries: job.queries, final_bookmark: `${job.bookmark}-final`, meta: { rows_written: job.rowsWritten, duration: 1 } },
    };
  }
}

/**
 * Splits SQL text into statements at semicolons outside quotes and comments, in one linear pass
 * (wrangler's splitter is far too slow for a multi-megabyte import file).
 */
export function splitSql(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const text = sql.slice(start, end).trim();
    if (text.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '').trim()) statements.push(text);
  };
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      const close = sql.indexOf(ch, i + 1);
      if (close < 0) throw new HttpError(400, 7500, 'unterminated quoted text: SQLITE_ERROR');
      i = close + 1;
      if (sql[i] === ch) continue; // a doubled quote inside the text
    } else if (ch === '[') {
      i = sql.indexOf(']', i) + 1 || sql.length;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (ch === ';') {
      push(i);
      start = ++i;
    } else {
      i++;
    }
  }
  push(sql.length);
  return statements;
}

function parseJson(body: Buffer): any {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 10026, 'request body is not valid JSON');
  }
}

// ---- the documented shape of each operation ------------------------------------------------------

interface RouteShape {
  route: Route;
  method: string;
  /** An exact path ({kv} and {d1} stand for the namespace and database prefixes), or a matcher. */
  path: string | ((path: string, kvPrefix: string) => boolean);
  /** Query parameters the operation documents; any other is refused. */
  query: string[];
  /** 'json': the body must be JSON sent as application/json; 'none': no body at all. */
  body: 'json' | 'none';
  /** Checks the parsed JSON body; returns what is wrong with it, or null. */
  validate?: (body: any) => string | null;
}

const BULK_PAIR_FIELDS = new Set(['key', 'value', 'base64', 'expiration', 'expiration_ttl', 'metadata']);
const isStringArray = (x: unknown) => Array.isArray(x) && x.every((v) => typeof v === 'string');
const onlyFields = (body: any, allowed: string[]) => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const extra = Object.keys(body).find((k) => !allowed.includes(k));
  return extra ? `unknown field ${extra}` : null;
};
const d1Statement = (s: any, where: string) =>
  onlyFields(s, ['sql', 'params']) ??
  (typeof s.sql !== 'string'
    ? `${where}sql must be a string`
    : s.params !== undefined && !isStringArray(s.params)
      ? `${where}params must be an array of strings`
      : null);

const ROUTES: RouteShape[] = [
  {
    route: 'kv-bulk',
    method: 'PUT',
    path: '{kv}/bulk',
    query: [],
    body: 'json',
    validate: (b) => (Array.isArray(b) ? null : 'bulk write body must be a JSON array'),
  },
  {
    route: 'kv-bulk-get',
    method: 'POST',
    path: '{kv}/bulk/get',
    query: [],
    body: 'json',
    validate: (b) =>
      onlyFields(b, ['keys', 'type', 'withMetadata']) ??
      (!isStringArray(b.keys) || b.keys.length === 0
        ? 'keys must be a non-empty array of key names'
        : b.type !== undefined && b.type !== 'text' && b.type !== 'json'
          ? 'type must be text or json'
          : b.withMetadata !== undefined && typeof b.withMetadata !== 'boolean'
            ? 'withMetadata must be a boolean'
            : null),
  },
  {
    route: 'kv-bulk-delete',
    method: 'POST',
    path: '{kv}/bulk/delete',
    query: [],
    body: 'json',
    validate: (b) => (isStringArray(b) ? null : 'bulk delete body must be a JSON array of key names'),
  },
  {
    route: 'kv-get',
    method: 'GET',
    path: (p, kv) => p.startsWith(`${kv}/values/`) && p.length > `${kv}/values/`.length,
    query: [],
    body: 'none',
  },
  { route: 'kv-list', method: 'GET', path: '{kv}/keys', query: ['prefix', 'cursor', 'limit'], body: 'none' },
  {
    route: 'd1-query',
    method: 'POST',
    path: '{d1}/query',
    query: [],
    body: 'json',
    validate: (b) => {
      if (b && typeof b === 'object' && 'batch' in b) {
        const wrong = onlyFields(b, ['batch']) ?? (Array.isArray(b.batch) && b.batch.length > 0 ? null : 'batch must be a non-empty array');
        return wrong ?? b.batch.map((s: unknown, i: number) => d1Statement(s, `batch[${i}].`)).find((e: string | null) => e) ?? null;
      }
      return d1Statement(b, '');
    },
  },
  {
    route: 'd1-import',
    method: 'POST',
    path: '{d1}/import',
    query: [],
    body: 'json',
    validate: (b) => {
      const fields: Record<string, string[]> = {
        init: ['action', 'etag'],
        ingest: ['action', 'etag', 'filename'],
        poll: ['action', 'current_bookmark'],
      };
      const allowed = fields[b?.action];
      if (!allowed) return `action must be one of ${Object.keys(fields).join(', ')}`;
      return onlyFields(b, allowed) ?? allowed.filter((f) => typeof b[f] !== 'string').map((f) => `${f} must be a string`)[0] ?? null;
    },
  },
];

function checkShape(shape: RouteShape, req: IncomingMessage, url: URL, body: Buffer): void {
  const extra = [...url.searchParams.keys()].find((k) => !shape.query.includes(k));
  if (extra) throw new HttpError(400, 10026, `unknown query parameter ${extra} for ${shape.method} ${shape.route}`);
  const contentType = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
  if (shape.body === 'none') {
    if (body.byteLength > 0) throw new HttpError(400, 10026, `${shape.method} ${shape.route} takes no body`);
    return;
  }
  if (contentType !== 'application/json')
    throw new HttpError(415, 10026, `content-type must be application/json, not ${contentType ?? '(none)'}`);
  const wrong = shape.validate?.(parseJson(body));
  if (wrong) throw new HttpError(400, 10026, wrong);
}
