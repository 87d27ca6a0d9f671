import type { RatingRows } from './rows';
import { EXAMPLES_PER_REASON, REASONS, exampleText, type Reason } from '../../contract/ratings';

export interface RejectExample {
  file: string;
  line: number; // 1-based physical line (csv-parse reference: the line the record ends on)
  reason: Reason;
  text: string; // the record's fields joined by commas, cut at 200 characters
}

/** One file's ingest, as a worker sends it back (typed arrays are transferred, not copied). */
export interface FileResult {
  path: string;
  bytes: number;
  rows: RatingRows;
  dataRows: number; // kept + rejected
  byReason: Record<Reason, number>;
  examples: RejectExample[]; // the first EXAMPLES_PER_REASON of each reason, in line order
  lfLines: number;
  crlfLines: number;
  unterminatedLastLine: boolean;
  count: Uint32Array; // per title index
  halfSum: Uint32Array; // sum of rating * 2
  halfStars: Uint32Array; // ratings with a .5
}

export function emptyReasonCounts(): Record<Reason, number> {
  return Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<Reason, number>;
}

/** Collects kept rows in columns and rejects by reason while a parser walks one file. */
export class FileAccumulator {
  length = 0;
  user: Int32Array;
  title: Uint16Array;
  half: Uint8Array;
  ts: Uint32Array;
  readonly count: Uint32Array;
  readonly halfSum: Uint32Array;
  readonly halfStars: Uint32Array;
  dataRows = 0;
  readonly byReason = emptyReasonCounts();
  readonly examples: RejectExample[] = [];
  lfLines = 0;
  crlfLines = 0;

  constructor(
    readonly path: string,
    readonly bytes: number,
    titleCount: number,
  ) {
    // A typical row is ~28 bytes; growing is rare and cheap.
    const capacity = Math.max(1024, Math.ceil(bytes / 24));
    this.user = new Int32Array(capacity);
    this.title = new Uint16Array(capacity);
    this.half = new Uint8Array(capacity);
    this.ts = new Uint32Array(capacity);
    this.count = new Uint32Array(titleCount);
    this.halfSum = new Uint32Array(titleCount);
    this.halfStars = new Uint32Array(titleCount);
  }

  accept(user: number, title: number, half: number, ts: number): void {
    const i = this.length;
    if (i === this.user.length) this.grow();
    this.user[i] = user;
    this.title[i] = title;
    this.half[i] = half;
    this.ts[i] = ts;
    this.length = i + 1;
    this.count[title]++;
    this.halfSum[title] += half;
    this.halfStars[title] += half & 1;
  }

  /** Whether a reject of this reason still needs its text (decoding text for every reject would be waste). */
  wantsExample(reason: Reason): boolean {
    return this.byReason[reason] < EXAMPLES_PER_REASON;
  }

  reject(reason: Reason, line: number, text: string | null): void {
    if (this.byReason[reason] < EXAMPLES_PER_REASON) {
      this.examples.push({ file: this.path, line, reason, text: exampleText(text ?? '') });
    }
    this.byReason[reason]++;
  }

  finish(unterminatedLastLine: boolean): FileResult {
    const n = this.length;
    return {
      path: this.path,
      bytes: this.bytes,
      rows: {
        length: n,
        user: this.user.slice(0, n),
        title: this.title.slice(0, n),
        half: this.half.slice(0, n),
        ts: this.ts.slice(0, n),
      },
      dataRows: this.dataRows,
      byReason: this.byReason,
      examples: this.examples,
      lfLines: this.lfLines,
      crlfLines: this.crlfLines,
      unterminatedLastLine,
      count: this.count,
      halfSum: this.halfSum,
      halfStars: this.halfStars,
    };
  }

  private grow(): void {
    const capacity = Math.ceil(this.user.length * 1.5);
    const user = new Int32Array(capacity);
    const title = new Uint16Array(capacity);
    const half = new Uint8Array(capacity);
    const ts = new Uint32Array(capacity);
    user.set(this.user);
    title.set(this.title);
    half.set(this.half);
    ts.set(this.ts);
    this.user = user;
    this.title = title;
    this.half = half;
    this.ts = ts;
  }
}

export function transferables(r: FileResult): ArrayBuffer[] {
  const arrays = [r.rows.user, r.rows.title, r.rows.half, r.rows.ts, r.count, r.halfSum, r.halfStars];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}
