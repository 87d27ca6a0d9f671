/**
 * Rating rows in columns, in file order (file 1 first, then line order): the form every loader stage
 * after ingest works on. 11M rows take ~121 MB this way instead of gigabytes of objects.
 */
export interface RatingRows {
  length: number;
  user: Int32Array; // userId as in the files
  title: Uint16Array; // index into the catalog's id list (catalog order: amazon, disney, hulu, netflix; file order)
  half: Uint8Array; // rating * 2, 1..10
  ts: Uint32Array; // unix seconds
}

export function allocRatingRows(length: number): RatingRows {
  return {
    length,
    user: new Int32Array(length),
    title: new Uint16Array(length),
    half: new Uint8Array(length),
    ts: new Uint32Array(length),
  };
}
