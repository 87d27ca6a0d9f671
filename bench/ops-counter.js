// Bench-only worker entry (bench/run.ts serves it with `wrangler dev bench/ops-counter.js`): the real
// request handler, given KV and D1 bindings wrapped in counters, and the counts for the request in an
// X-Bench-Ops header. The answer body is read to the end first, so work done while streaming counts.
// Plain JavaScript: the bench's Node typecheck cannot see Workers types, and this file only wraps.
import { CURRENT_KEY } from '../contract/keys.ts';
import { handleRequest } from '../worker/router.ts';

export default {
  async fetch(request, env) {
    const ops = { pointerReads: 0, kvReads: 0, kvBytes: 0, kvWrites: 0, kvLists: 0, d1Queries: 0, d1RowsRead: 0 };
    const counted = Object.assign(Object.create(null), env, { KV: countKV(env.KV, ops), DB: countD1(env.DB, ops) });
    const response = await handleRequest(request, counted);
    const body = await response.arrayBuffer();
    const headers = new Headers(response.headers);
    headers.set('X-Bench-Ops', JSON.stringify(ops));
    return new Response(request.method === 'HEAD' ? null : body, { status: response.status, headers });
  },
};

const encoder = new TextEncoder();

function sizeOf(value) {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'string') return encoder.encode(value).byteLength;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof value === 'object' && 'value' in value && 'metadata' in value) return sizeOf(value.value);
  return encoder.encode(JSON.stringify(value)).byteLength;
}

function countKV(kv, ops) {
  return {
    async get(key, options) {
      // The pointer is re-read every 5 s per isolate, whatever the traffic: not a cost of the request
      // that happens to come then.
      if (key === CURRENT_KEY) {
        ops.pointerReads++;
        return kv.get(key, options);
      }
      ops.kvReads++;
      const value = await kv.get(key, options);
      ops.kvBytes += sizeOf(value);
      return value;
    },
    async getWithMetadata(key, options) {
      ops.kvReads++;
      const value = await kv.getWithMetadata(key, options);
      ops.kvBytes += sizeOf(value?.value);
      return value;
    },
    list(options) {
      ops.kvLists++;
      return kv.list(options);
    },
    put(key, value, options) {
      ops.kvWrites++;
      return kv.put(key, value, options);
    },
    delete(key) {
      ops.kvWrites++;
      return kv.delete(key);
    },
  };
}

function rowsRead(result) {
  return result?.meta?.rows_read ?? 0;
}

function countD1(db, ops) {
  const inner = new WeakMap();
  const wrap = (statement) => {
    const wrapped = {
      bind: (...values) => wrap(statement.bind(...values)),
      async first(column) {
        ops.d1Queries++;
        // first() returns no meta: run it as all() to learn the rows read, then answer like first().
        const result = await statement.all();
        ops.d1RowsRead += rowsRead(result);
        const row = result.results[0] ?? null;
        return column === undefined || row === null ? row : row[column];
      },
      async all() {
        ops.d1Queries++;
        const result = await statement.all();
        ops.d1RowsRead += rowsRead(result);
        return result;
      },
      async run() {
        ops.d1Queries++;
        const result = await statement.run();
        ops.d1RowsRead += rowsRead(result);
        return result;
      },
      async raw(options) {
        ops.d1Queries++;
        return statement.raw(options);
      },
    };
    inner.set(wrapped, statement);
    return wrapped;
  };
  return {
    prepare: (sql) => wrap(db.prepare(sql)),
    async batch(statements) {
      ops.d1Queries += statements.length;
      const results = await db.batch(statements.map((s) => inner.get(s) ?? s));
      for (const result of results) ops.d1RowsRead += rowsRead(result);
      return results;
    },
    exec: (sql) => {
      ops.d1Queries++;
      return db.exec(sql);
    },
  };
}
