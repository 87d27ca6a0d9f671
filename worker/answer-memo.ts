// Answers remembered per isolate. A GET answer of the API is a function of the live data version and
// the URL alone (the catalog queries' parameter domains are small, and popular queries and returning
// users come round again), so once an isolate has answered a URL for a version it keeps the answer's
// bytes and headers and answers the next ask with a lookup: no URL parsing, routing, validation,
// lookup, JSON or hashing. Errors are remembered as the problem, not the bytes: their bodies carry the
// request's own id.
import type { ProblemError } from './problem';

/** JSON text, or the bytes an endpoint assembled itself (/titles pages). */
export type RememberedBody = string | Uint8Array;

export interface RememberedAnswer {
  kind: 'answer';
  status: number;
  body: RememberedBody;
  /**
   * Every header but the request id, as a runtime Headers: a Response copies one in the runtime,
   * where a plain object is converted a property at a time (a tenth of an isolate's CPU per answer).
   */
  headers: Headers;
  etag: string;
}

export interface RememberedProblem {
  kind: 'problem';
  problem: ProblemError;
}

export type Remembered = RememberedAnswer | RememberedProblem;

/** Bytes a remembered answer may take in all (the isolate's limit is 128 MB; the catalog takes ~25). */
export const ANSWER_MEMO_BYTES = 8 * 2 ** 20;
/** An answer larger than this is not remembered (a long /titles page is rare and cheap to rebuild). */
const LARGEST_ANSWER_BYTES = 64 * 1024;
/** What an entry costs besides its body: key, headers, map slot. */
const ENTRY_OVERHEAD_BYTES = 600;

interface Entry {
  value: Remembered;
  weight: number;
  /** Asked for since it was remembered or last given a second chance. */
  used: boolean;
}

/**
 * Bounded in bytes; when full, the oldest entry not asked for since its last chance is dropped first
 * (the "second chance" approximation of least recently used: a hit only sets a flag, where moving the
 * entry to the back of the map cost a delete and an insert per hit). Everything is dropped when the
 * data version changes: entries of the old one would never be asked for again.
 */
export class AnswerMemo {
  #generation = '';
  readonly #entries = new Map<string, Entry>();
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
    const entry = this.#entries.get(url);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.value;
  }

  remember(generation: string, url: string, value: Remembered): void {
    if (generation !== this.#generation) {
      this.clear();
      this.#generation = generation;
    }
    const weight = weigh(url, value);
    if (weight > LARGEST_ANSWER_BYTES || this.#entries.has(url)) return;
    this.#entries.set(url, { value, weight, used: false });
    this.#bytes += weight;
    // Terminates: an entry given its second chance is not used again within this loop.
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.capacityBytes) break;
      this.#entries.delete(oldest);
      if (entry.used) {
        entry.used = false;
        this.#entries.set(oldest, entry);
      } else {
        this.#bytes -= entry.weight;
      }
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
