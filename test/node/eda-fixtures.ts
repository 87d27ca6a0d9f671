// Synthetic rating rows for the EDA tests: deterministic, heavy-tailed per-user activity, per-user
// bias, timestamps from 1996 to 2017 with half stars only after 2003-02-18 (like MovieLens).
import { allocRatingRows, type RatingRows } from '../../loader/ratings/rows';

export function syntheticRows(length: number, titleCount: number, seed = 1): RatingRows {
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32: fast and reproducible; statistical quality is irrelevant here.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const rows = allocRatingRows(length);
  const halfStarStart = Date.UTC(2003, 1, 18) / 1000;
  let i = 0;
  let userId = 1;
  while (i < length) {
    const count = Math.min(length - i, Math.ceil(20 / (random() + 0.02))); // ~ long tail
    const bias = (random() - 0.5) * 1.6;
    const start = 820_454_400 + Math.floor(random() * 650_000_000);
    for (let k = 0; k < count; k++, i++) {
      rows.user[i] = userId;
      rows.title[i] = Math.floor(random() * titleCount);
      const ts = start + Math.floor(random() * 60_000_000);
      rows.ts[i] = ts;
      const value = Math.min(5, Math.max(0.5, 3.5 + bias + (random() - 0.5) * 3));
      let half = Math.round(value * 2);
      if (ts < halfStarStart && half % 2 === 1) half += half < 10 ? 1 : -1;
      rows.half[i] = half;
    }
    userId += 1 + Math.floor(random() * 2);
  }
  return rows;
}
