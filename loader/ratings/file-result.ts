import type { RatingRows } from './rows';
import { EXAMPLES_PER_REASON, REASONS, RatingsFileError, exampleText, type Reason } from '../../contract/ratings';

export interface RejectExample {
  file: string;
  line: number; // 1-based physical line (csv-parse reference: the line the record ends on)
  reason: Reason;
  text: string; // the record's fields joined by commas, cut at 200 characters
}

/** The ingest's columns, shared by the parse workers: each writes its file's rows into a region. */
export interface SharedColumns {
  user: SharedArrayBuffer; // Int32
  title: SharedArrayBuffer; // Uint16
  half: SharedArrayBuffer; // Uint8
  ts: SharedArrayBuffer; // Uint32
}

/**
 * Where one file's kept rows go: `capacity` rows from row `offset` of the shared columns, sized from
 * the file's line count (a record ends at a line end, so a file has at most lines + 1 records).
 */
export interface RowRegion {
  columns: SharedColumns;
  offset: number;
  capacity: number;
}

export function allocSharedColumns(rows: number): SharedColumns {
  return {
    user: new SharedArrayBuffer(rows * 4),
    title: new SharedArrayBuffer(rows * 2),
    half: new SharedArrayBuffer(rows),
    ts: new SharedArrayBuffer(rows * 4),
  };
}

/** One file's ingest, as a worker sends it back: its rows are views of its region, its per-title sums transferred. */
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
  readonly user: Int32Array;
  readonly title: Uint16Array;
  readonly half: Uint8Array;
  readonly ts: Uint32Array;
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
    { columns, offset, capacity }: RowRegion,
  ) {
    this.user = new Int32Array(columns.user, offset * 4, capacity);
    this.title = new Uint16Array(columns.title, offset * 2, capacity);
    this.half = new Uint8Array(columns.half, offset, capacity);
    this.ts = new Uint32Array(columns.ts, offset * 4, capacity);
    this.count = new Uint32Array(titleCount);
    this.halfSum = new Uint32Array(titleCount);
    this.halfStars = new Uint32Array(titleCount);
  }

  accept(user: number, title: number, half: number, ts: number): void {
    const i = this.length;
    // Only if the file grew between the line count and the parse: its rows would overrun the next file's.
    if (i === this.user.length) throw new RatingsFileError(this.path, 'the file changed while it was read (more lines than when counted)');
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
    // The rows already are where the ingest wants them: views of the region, no copies.
    return {
      path: this.path,
      bytes: this.bytes,
      rows: {
        length: n,
        user: this.user.subarray(0, n),
        title: this.title.subarray(0, n),
        half: this.half.subarray(0, n),
        ts: this.ts.subarray(0, n),
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
}

/** The result's own buffers, to transfer: the per-title sums (the rows are in the ingest's shared columns). */
export function transferables(r: FileResult): ArrayBuffer[] {
  return [r.count, r.halfSum, r.halfStars].map((a) => a.buffer as ArrayBuffer);
}
