// The local publish without wrangler in the loader's process: wrangler.toml read by a TOML parser,
// migrations split by a SQLite-aware splitter, the stores opened through Miniflare. Each must agree
// with what wrangler itself does, since `wrangler dev` serves what the loader writes.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { experimental_readRawConfig, unstable_splitSqlQuery } from 'wrangler';
import { afterAll, describe, expect, it } from 'vitest';
import { config } from '../../loader/config';
import { openLocalStores } from '../../loader/publish/local-stores';
import { splitMigration } from '../../loader/publish/migrations';
import { readWranglerBindings } from '../../loader/publish/wrangler-config';

const scratch = mkdtempSync(join(tmpdir(), 'local-stores-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** SQL without its comments, its final semicolon and runs of whitespace: the two splitters differ only there. */
const bare = (sql: string) =>
  sql
    .replace(/--[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/;$/, '');

describe('splitMigration', () => {
  const files = readdirSync(config.migrationsDir).filter((f) => f.endsWith('.sql'));

  it.each(files)('splits %s into the statements wrangler d1 migrations apply runs', (file) => {
    const sql = readFileSync(join(config.migrationsDir, file), 'utf8');
    const ours = splitMigration(sql);
    expect(ours.map(bare)).toEqual(unstable_splitSqlQuery(sql).map(bare));
    expect(ours.length).toBeGreaterThan(0);
  });

  it('keeps semicolons inside strings and comments within their statement', () => {
    const sql = "-- a comment; with a semicolon\nCREATE TABLE t (a TEXT DEFAULT 'x;y');\nINSERT INTO t VALUES ('it''s; fine');\n";
    expect(splitMigration(sql).map(bare)).toEqual(["CREATE TABLE t (a TEXT DEFAULT 'x;y')", "INSERT INTO t VALUES ('it''s; fine')"]);
  });
});

describe('readWranglerBindings', () => {
  it("reads this repository's wrangler.toml as wrangler does", () => {
    const ours = readWranglerBindings(config.wranglerConfig);
    const { rawConfig } = experimental_readRawConfig({ config: config.wranglerConfig });
    const kv = (rawConfig.kv_namespaces ?? []) as { binding: string; id?: string }[];
    const d1 = (rawConfig.d1_databases ?? []) as { binding: string; database_id?: string }[];
    expect(ours.kvNamespaceId).toBe(kv.find((b) => b.binding === 'KV')?.id);
    expect(ours.d1DatabaseId).toBe(d1.find((b) => b.binding === 'DB')?.database_id);
    expect(ours.compatibilityDate).toBe(rawConfig.compatibility_date);
    expect(ours.localKvNamespaceId).toBe(ours.kvNamespaceId);
    expect(ours.localD1DatabaseId).toBe(ours.d1DatabaseId);
  });

  it('keeps local state under the ids wrangler dev uses: the D1 preview id first, the binding name without ids', () => {
    const path = join(scratch, 'preview.toml');
    writeFileSync(
      path,
      'name = "x"\n[[kv_namespaces]]\nbinding = "KV"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "x"\n' +
        'database_id = "remote-id"\npreview_database_id = "preview-id"\n',
    );
    expect(readWranglerBindings(path)).toMatchObject({
      kvNamespaceId: undefined,
      localKvNamespaceId: 'KV',
      d1DatabaseId: 'remote-id',
      localD1DatabaseId: 'preview-id',
    });
  });

  it('names the file when it is not TOML', () => {
    const path = join(scratch, 'broken.toml');
    writeFileSync(path, 'name = "x\n');
    expect(() => readWranglerBindings(path)).toThrow(`cannot read ${path}`);
  });
});

describe('openLocalStores', () => {
  it('applies every migration once and keeps what it wrote across reopenings', async () => {
    const persist = join(scratch, 'v3');
    const first = await openLocalStores(config, persist);
    try {
      await first.kv.put('probe', 'value');
      const { results } = await first.db.prepare('SELECT name FROM d1_migrations ORDER BY name').all<{ name: string }>();
      expect(results.map((r) => r.name)).toEqual(
        readdirSync(config.migrationsDir)
          .filter((f) => f.endsWith('.sql'))
          .sort(),
      );
    } finally {
      await first.dispose();
    }
    const again = await openLocalStores(config, persist);
    try {
      expect(await again.kv.get('probe', 'text')).toBe('value');
      const { results } = await again.db.prepare('SELECT COUNT(*) AS n FROM d1_migrations').all<{ n: number }>();
      expect(results[0].n).toBe(readdirSync(config.migrationsDir).filter((f) => f.endsWith('.sql')).length);
    } finally {
      await again.dispose();
    }
    // The layout wrangler dev reads: <persist>/kv/<namespace id> holds the values.
    expect(readdirSync(join(persist, 'kv'))).toContain(readWranglerBindings(config.wranglerConfig).localKvNamespaceId);
    expect(readdirSync(persist)).toContain('d1');
  });
});
