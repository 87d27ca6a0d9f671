// Writes a built data version into KV and D1, then flips the pointer. Runtime-agnostic on purpose:
// the local publish (Miniflare from Node) and the worker tests (env bindings inside workerd) run this
// same code against the same binding interfaces.
import { CURRENT_KEY, TITLE_COLUMNS, type DataHealth, type DataPointer, type Title } from '../contract';

/** The subset of KVNamespace the publisher uses. */
export interface KVWriter {
  put(key: string, value: string | ArrayBuffer): Promise<void>;
  get(key: string, type: 'text'): Promise<string | null>;
}
/** The subset of D1Database the publisher uses. */
export interface D1Writer {
  prepare(sql: string): { bind(...values: unknown[]): unknown };
  batch(statements: never[]): Promise<unknown[]>;
}

export interface Bundle {
  version: string;
  /** Versioned KV keys (dataKey(version, name)) and their values. */
  kv: Map<string, Uint8Array | string>;
  titles: Title[];
  health: DataHealth;
}

// One statement inserts a whole chunk from a JSON array: ~30x faster than a statement per row,
// and still a single bound parameter (D1 allows 100 per statement).
const D1_CHUNK_ROWS = 2000;
const INSERT_TITLES_SQL = `INSERT INTO titles (version, ${TITLE_COLUMNS.map((c) => `"${c}"`).join(', ')})
  SELECT ?1, ${TITLE_COLUMNS.map((c) => `json_extract(value, '$[${TITLE_COLUMNS.indexOf(c)}]')`).join(', ')}
  FROM json_each(?2)`;

export async function publishBundle(
  bundle: Bundle,
  target: { kv: KVWriter; db: D1Writer },
  onProgress: (message: string) => void = () => {},
): Promise<void> {
  const { kv, db } = target;
  for (const [key, value] of bundle.kv) {
    await kv.put(key, typeof value === 'string' ? value : toArrayBuffer(value));
  }
  onProgress(`kv: ${bundle.kv.size} values written`);

  const statements = [db.prepare('DELETE FROM titles WHERE version = ?1').bind(bundle.version)];
  for (let i = 0; i < bundle.titles.length; i += D1_CHUNK_ROWS) {
    const rows = bundle.titles.slice(i, i + D1_CHUNK_ROWS).map((t) => TITLE_COLUMNS.map((c) => t[c]));
    statements.push(db.prepare(INSERT_TITLES_SQL).bind(bundle.version, JSON.stringify(rows)));
  }
  await db.batch(statements as never[]);
  onProgress(`d1: ${bundle.titles.length} titles written`);

  const pointer: DataPointer = { version: bundle.version, published_at: new Date().toISOString() };
  await kv.put(CURRENT_KEY, JSON.stringify(pointer));
  onProgress(`pointer: ${bundle.version}`);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}
