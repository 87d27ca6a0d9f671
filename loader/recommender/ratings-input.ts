// Reads any ratings CSV for evaluation: a header naming userId, movieId and rating (timestamp
// optional, any column order), comma or tab separated, ids numeric or string. Rows that cannot be
// used are counted by reason and skipped; ids are mapped to dense indices in order of appearance.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { RawRatings } from './prepare';
import { RATING_MAX, RATING_MIN } from '../../contract/model';

export interface RatingsFile {
  raw: RawRatings;
  titleIds: string[]; // dense title index -> movieId as written
  userIds: string[]; // the integer user id given to prepareRatings -> userId as written
  rows: number;
  rejected: Record<string, number>;
  delimiter: ',' | '\t';
}

const REQUIRED = ['userid', 'movieid', 'rating'] as const;

export function readRatingsCsv(path: string): RatingsFile {
  const text = readFileSync(path, 'utf8');
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = firstLine.includes('\t') ? '\t' : ',';
  const records: string[][] = parse(text, {
    delimiter,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
  });
  if (records.length === 0) throw new Error(`${path}: empty file, expected a header naming userId, movieId, rating`);
  const header = records[0].map((name) => name.toLowerCase());
  const column = (name: string) => header.indexOf(name);
  const missing = REQUIRED.filter((name) => column(name) < 0);
  if (missing.length > 0) {
    throw new Error(
      `${path}: header ${JSON.stringify(records[0])} lacks ${missing.join(', ')} (need userId, movieId, rating; timestamp optional)`,
    );
  }
  const [userCol, movieCol, ratingCol] = REQUIRED.map(column);
  const tsCol = column('timestamp');

  const n = records.length - 1;
  const user = new Int32Array(n);
  const title = new Int32Array(n);
  const rating = new Float32Array(n);
  const ts = tsCol >= 0 ? new Uint32Array(n) : undefined;
  const userIndex = new Map<string, number>();
  const titleIndex = new Map<string, number>();
  const rejected: Record<string, number> = {};
  const reject = (reason: string) => (rejected[reason] = (rejected[reason] ?? 0) + 1);
  let kept = 0;
  for (let r = 1; r < records.length; r++) {
    const fields = records[r];
    if (fields.length !== header.length) {
      reject('wrong field count');
      continue;
    }
    const value = Number(fields[ratingCol]);
    if (fields[ratingCol] === '' || !(value >= RATING_MIN && value <= RATING_MAX)) {
      reject(`rating not a number in ${RATING_MIN}..${RATING_MAX}`);
      continue;
    }
    const userId = fields[userCol];
    const movieId = fields[movieCol];
    if (userId === '' || movieId === '') {
      reject('empty userId or movieId');
      continue;
    }
    let stamp = 0;
    if (ts) {
      stamp = Number(fields[tsCol]);
      if (!/^\d+$/.test(fields[tsCol]) || stamp > 0xffffffff) {
        reject('timestamp not unix seconds');
        continue;
      }
      ts[kept] = stamp;
    }
    user[kept] = indexOf(userIndex, userId);
    title[kept] = indexOf(titleIndex, movieId);
    rating[kept] = value;
    kept++;
  }
  return {
    raw: { length: kept, user, title, rating, ts },
    titleIds: [...titleIndex.keys()],
    userIds: [...userIndex.keys()],
    rows: n,
    rejected,
    delimiter,
  };
}

function indexOf(index: Map<string, number>, id: string): number {
  let i = index.get(id);
  if (i === undefined) index.set(id, (i = index.size));
  return i;
}
