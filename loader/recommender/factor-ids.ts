// The integer ids Spark's ALS needs (it takes int user and item columns), agreed between
// spark/train_als.py and the import (docs/reference.md#factor-ids). Users: the rating files' userId
// as it is (already an int in 1..2^31-1). Titles: rating rows name a title by its catalog id, the
// platform's letter and the lower-cased show_id ("as680", "ns2186"); its int id is
//   platform code * 1,000,000 + show number,   codes a=1, d=2, h=3, n=4
// so "as680" -> 1000680 and "ns2186" -> 4002186. A pure function of the id string: neither side needs
// a lookup table, and catalog order (which decides the loader's dense title indices) plays no part.
const PLATFORM_CODES: Record<string, number> = { a: 1, d: 2, h: 3, n: 4 };
const CATALOG_ID = /^([adhn])s([1-9][0-9]{0,5})$/;
const SHOW_RANGE = 1_000_000;

/** The ALS item id of a catalog id, or null when the id does not have the catalog's form. */
export function titleFactorId(catalogId: string): number | null {
  const m = CATALOG_ID.exec(catalogId);
  return m ? PLATFORM_CODES[m[1]] * SHOW_RANGE + Number(m[2]) : null;
}

/** Map from ALS item id to dense title index; throws if a catalog id has no int form. */
export function titleIndexByFactorId(catalogIds: readonly string[]): Map<number, number> {
  const byId = new Map<number, number>();
  catalogIds.forEach((id, t) => {
    const factorId = titleFactorId(id);
    if (factorId === null)
      throw new Error(`catalog id ${JSON.stringify(id)} has no ALS item id (expected a platform letter, "s" and a number)`);
    byId.set(factorId, t);
  });
  return byId;
}
