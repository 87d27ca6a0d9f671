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
    private readonly region?: RowRegion,
  ) {
    if (region) {
      const { columns, offset, capacity } = region;
      this.user = new Int32Array(columns.user, offset * 4, capacity);
      this.title = new Uint16Array(columns.title, offset * 2, capacity);
      this.half = new Uint8Array(columns.half, offset, capacity);
      this.ts = new Uint32Array(columns.ts, offset * 4, capacity);
    } else {
      // A typical row is ~28 bytes; growing is rare and cheap.
      const capacity = Math.max(1024, Math.ceil(bytes / 24));
      this.user = new Int32Array(capacity);
      this.title = new Uint16Array(capacity);
      this.half = new Uint8Array(capacity);
      this.ts = new Uint32Array(capacity);
    }
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
    // In a region the rows already are where the ingest wants them; otherwise trimmed copies.
    const take = <T extends Int32Array | Uint16Array | Uint8Array | Uint32Array>(column: T) =>
      (this.region ? column.subarray(0, n) : column.slice(0, n)) as T;
    return {
      path: this.path,
      bytes: this.bytes,
      rows: { length: n, user: take(this.user), title: take(this.title), half: take(this.half), ts: take(this.ts) },
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
    // Only if the file grew between the line count and the parse: its rows would overrun the next file's.
    if (this.region) throw new RatingsFileError(this.path, 'the file changed while it was read (more lines than when counted)');
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

/** The result's own buffers, to transfer; shared columns are not transferred (the ingest holds them). */
export function transferables(r: FileResult): ArrayBuffer[] {
  const arrays = [r.rows.user, r.rows.title, r.rows.half, r.rows.ts, r.count, r.halfSum, r.halfStars];
  return arrays.map((a) => a.buffer).filter((b): b is ArrayBuffer => !(b instanceof SharedArrayBuffer));
}
