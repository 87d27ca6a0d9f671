// Answers remembered per isolate. A GET answer of the API is a function of the live data version and
// the URL alone (the catalog queries' parameter domains are small, and popular queries and returning
// users come round again), so once an isolate has answered a URL for a version it keeps the answer's
// bytes and headers and answers the next ask with a lookup: no URL parsing, routing, validation,
// lookup, JSON or hashing. Errors are remembered as the problem, not the bytes: their bodies carry the
// request's own id.
import type { ProblemError } from './problem';

/** JSON text, or the bytes an endpoint assembled itself (/titles pages). */
export type RememberedBody = string | Uint8Array;

export type Remembered =
  | { kind: 'answer'; status: number; body: RememberedBody; headers: Readonly<Record<string, string>> }
  | { kind: 'problem'; problem: ProblemError };

/** Bytes a remembered answer may take in all (the isolate's limit is 128 MB; the catalog takes ~25). */
export const ANSWER_MEMO_BYTES = 8 * 2 ** 20;
/** An answer larger than this is not remembered (a long /titles page is rare and cheap to rebuild). */
const LARGEST_ANSWER_BYTES = 64 * 1024;
/** What an entry costs besides its body: key, headers, map slot. */
const ENTRY_OVERHEAD_BYTES = 600;

/**
 * Least recently used dropped first, bounded in bytes. Everything is dropped when the data version
 * changes: entries of the old one would never be asked for again.
 */
export class AnswerMemo {
  #generation = '';
  readonly #entries = new Map<string, Remembered>();
  #bytes = 0;

  constructor(readonly capacityBytes = ANSWER_MEMO_BYTES) {}

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The answer remembered for `url` under data `generation` (version and publish time), if any. */
  get(generation: string, url: string): Remembered | undefined {
    if (generation !== this.#generation) return undefined;
    const hit = this.#entries.get(url);
    if (hit !== undefined) {
      this.#entries.delete(url); // re-inserted: most recently used last
      this.#entries.set(url, hit);
    }
    return hit;
  }

  remember(generation: string, url: string, value: Remembered): void {
    if (generation !== this.#generation) {
      this.clear();
      this.#generation = generation;
    }
    const weight = weigh(url, value);
    if (weight > LARGEST_ANSWER_BYTES || this.#entries.has(url)) return;
    this.#entries.set(url, value);
    this.#bytes += weight;
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes <= this.capacityBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= weigh(oldest, old);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
    this.#generation = '';
  }
}

/** Strings at two bytes a UTF-16 unit. */
function weigh(url: string, value: Remembered): number {
  const body =
    value.kind === 'problem'
      ? 2 * value.problem.detail.length
      : typeof value.body === 'string'
        ? 2 * value.body.length
        : value.body.byteLength;
  return 2 * url.length + body + ENTRY_OVERHEAD_BYTES;
}

/** GET answers and client errors of the API, per isolate, by data version and URL. */
export const answerMemo = new AnswerMemo();
