// Validation of a POST /ratings body, row by row with the loader's own field rules
// (contract/ratings.ts): a posted rating is accepted exactly when the same values in a rating
// file would be. Pure: the catalog check takes the set of known ids.
import { defaultMaxTimestamp, parseHalfStars, parseTimestamp, parseUserId, MAX_USER_ID, MIN_TIMESTAMP } from '../contract/ratings';
import { quote } from './params';
import type { InvalidParam } from './problem';

export const MAX_RATINGS_PER_BATCH = 1000;
/** Far above 1,000 ratings (about 80 bytes each) and far below anything that strains a Worker. */
export const MAX_BODY_BYTES = 256 * 1024;
/** invalid_params lists at most this many entries (a batch of 1,000 bad rows says enough after 100). */
export const MAX_REPORTED_ERRORS = 100;

export interface PostedRating {
  userId: number;
  movieId: string;
  halves: number; // rating x 2, 1..10
  timestamp: number; // unix seconds
}

export type BodyShape = { ok: true; items: unknown[]; pointer: string } | { ok: false; reason: string };

/** The ratings array of a body: the body itself, or its `ratings` member. */
export function ratingsArray(body: unknown): BodyShape {
  if (Array.isArray(body)) return { ok: true, items: body, pointer: '' };
  if (
    typeof body === 'object' &&
    body !== null &&
    Object.hasOwn(body, 'ratings') &&
    Array.isArray((body as { ratings: unknown }).ratings)
  ) {
    return { ok: true, items: (body as { ratings: unknown[] }).ratings, pointer: '/ratings' };
  }
  return { ok: false, reason: 'the body must be a JSON array of ratings, or an object {"ratings": [...]}' };
}

/** Field text the loader's parsers judge: JSON numbers as JavaScript prints them, strings as they are. */
function fieldText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * Every item checked; movie ids against `knownMovieIds` (the live catalog). Returns the ratings, or
 * every problem found (names are JSON Pointers into the body, e.g. /3/rating).
 */
export function validateRatings(
  items: readonly unknown[],
  pointer: string,
  knownMovieIds: ReadonlySet<string>,
  nowMs: number,
): { ok: true; ratings: PostedRating[] } | { ok: false; invalid: InvalidParam[]; invalidItems: number } {
  const maxTimestamp = defaultMaxTimestamp(nowMs);
  const nowSeconds = Math.floor(nowMs / 1000);
  const invalid: InvalidParam[] = [];
  const ratings: PostedRating[] = [];
  let invalidItems = 0;
  items.forEach((item, i) => {
    const at = `${pointer}/${i}`;
    const problems: InvalidParam[] = [];
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push({ name: at, reason: 'each rating must be an object {userId, movieId, rating, timestamp?}' });
    } else {
      const r = item as Record<string, unknown>;
      const field = (name: string) => (Object.hasOwn(r, name) ? r[name] : undefined);

      const userText = fieldText(field('userId'));
      const userId = userText === null ? -1 : parseUserId(userText);
      if (userId < 0)
        problems.push({ name: `${at}/userId`, reason: `${show(field('userId'))} is not a user id: give an integer 1..${MAX_USER_ID}` });

      const ratingText = fieldText(field('rating'));
      const halves = ratingText === null ? -1 : parseHalfStars(ratingText);
      if (halves < 0) {
        problems.push({
          name: `${at}/rating`,
          reason: `${show(field('rating'))} is not a rating: give 0.5 to 5 in half steps`,
          allowed: HALF_STARS,
        });
      }

      const movieId = field('movieId');
      if (typeof movieId !== 'string' || !knownMovieIds.has(movieId)) {
        problems.push({
          name: `${at}/movieId`,
          reason: `${show(movieId)} is not the id of a title in the live catalog (ids look like "as680", "ns45")`,
        });
      }

      const given = field('timestamp');
      let timestamp = nowSeconds;
      if (given !== undefined && given !== null) {
        const text = fieldText(given);
        timestamp = text === null ? -1 : parseTimestamp(text, maxTimestamp);
        if (timestamp < 0) {
          problems.push({
            name: `${at}/timestamp`,
            reason: `${show(given)} is not a timestamp: give unix seconds from ${MIN_TIMESTAMP} (1990-01-01) to now + 1 day, or leave it out for now`,
          });
        }
      }
      if (problems.length === 0) ratings.push({ userId, movieId: movieId as string, halves, timestamp });
    }
    if (problems.length > 0) {
      invalidItems++;
      for (const p of problems) if (invalid.length < MAX_REPORTED_ERRORS) invalid.push(p);
    }
  });
  return invalidItems === 0 ? { ok: true, ratings } : { ok: false, invalid, invalidItems };
}

const HALF_STARS = Array.from({ length: 10 }, (_, i) => String((i + 1) / 2));

function show(value: unknown): string {
  if (value === undefined) return 'a missing value';
  if (typeof value === 'string') return quote(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 40 ? text : quote(text); // quote() shortens long values
}
