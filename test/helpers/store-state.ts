// What a reader of the local stores could see: the live pointer (byte for byte), every KV key and the
// number of D1 catalog rows. A load that fails must leave all three as they were.
import { CURRENT_KEY } from '../../contract';
import type { LoaderConfig } from '../../loader/config';
import { openLocalStores } from '../../loader/publish/local-stores';

export interface StoreState {
  pointer: string | null;
  keys: string[];
  titleRows: number;
}

type CountQuery = { prepare(sql: string): { first<T>(): Promise<T | null> } };

export async function storeState(cfg: LoaderConfig, persistDir = cfg.persistDir): Promise<StoreState> {
  const stores = await openLocalStores(cfg, persistDir);
  try {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await stores.kv.list({ cursor });
      keys.push(...page.keys.map((k) => k.name));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    const count = await (stores.db as unknown as CountQuery).prepare('SELECT count(*) AS n FROM titles').first<{ n: number }>();
    return { pointer: await stores.kv.get(CURRENT_KEY, 'text'), keys: keys.sort(), titleRows: count?.n ?? 0 };
  } finally {
    await stores.dispose();
  }
}
