// The local publish without wrangler in the loader's process: wrangler.toml read by a TOML parser,
// migrations split by a SQLite-aware splitter, the stores opened through Miniflare. Each must agree
// with what wrangler itself does, since `wrangler dev` serves what the loader writes.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { experimental_readRawConfig, unstable_splitSqlQuery } from 'wrangler';
import { afterAll, describe, expect, it } from 'vitest';
import { config } from '../../loader/config';
import { readCatalog } from '../../loader/catalog/transform';
import { openLocalStores } from '../../loader/publish/local-stores';
import { publishBundle, type Bundle } from '../../loader/publish/publish';
import { ARTIFACT, TITLE_COLUMNS, writersLive, type DataHealth } from '../../contract';
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

describe('publishBundle over the local stores', () => {
  /** The real catalog (22,998 titles: D1 is read back in many pages) under `version`. */
  async function catalogBundle(version: string): Promise<Bundle> {
    const { titles } = await readCatalog(config.titlesDir);
    const health: DataHealth = {
      version,
      built_at: '2026-12-04T00:00:00.000Z',
      ratings_source: 'stand-in',
      counts: { titles: titles.length, movies: 0, ratings_rows: 0, ratings_rejected: 0, users: 0 },
    };
    return { version, kv: new Map([[ARTIFACT.health, JSON.stringify(health)]]), titles, health };
  }

  it('reads back every D1 row it wrote and goes live; refuses a version whose rows in D1 differ from the build', async () => {
    const stores = await openLocalStores(config, join(scratch, 'publish-v3'));
    try {
      const good = await catalogBundle('verify-good');
      await publishBundle(good, stores);
      expect((await writersLive(stores))?.version).toBe('verify-good');

      // D1 already holds as many rows for the next version as the build has, so the publish keeps them
      // ("already present") and only its read-back can tell that one of them is not the build's.
      const { db } = stores;
      const [first, last] = [good.titles[0].id, good.titles[good.titles.length - 1].id];
      for (const [version, tamper] of [
        ['verify-changed', `UPDATE titles SET title = title || ' (edited)' WHERE version = ?1 AND id = '${first}'`],
        ['verify-unknown', `UPDATE titles SET id = 'zz-not-in-the-build' WHERE version = ?1 AND id = '${last}'`],
      ] as const) {
        await db.batch([
          db.prepare('DELETE FROM titles WHERE version = ?1').bind(version),
          db
            .prepare(
              `INSERT INTO titles SELECT ?1, ${TITLE_COLUMNS.map((c) => `"${c}"`).join(', ')}, search_text FROM titles WHERE version = 'verify-good'`,
            )
            .bind(version),
          db.prepare(tamper).bind(version),
        ] as never[]);
        const error = await publishBundle(await catalogBundle(version), stores).catch((e: Error) => e);
        expect(String(error)).toMatch(
          version === 'verify-changed'
            ? new RegExp(`D1 rows of ${version}: row ${first} differs from the build; the pointer was not changed`)
            : /row zz-not-in-the-build is not in the build; the pointer was not changed/,
        );
        expect((await writersLive(stores))?.version).toBe('verify-good');
      }
    } finally {
      await stores.dispose();
    }
  });
});
