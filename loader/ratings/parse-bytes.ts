/**
 * The production parser: reads a rating file in 1 MiB chunks into a fixed buffer and judges each line straight
 * from its bytes (no string or object per row). Records that contain a quote take the csv-parse-compatible
 * path in ratings-csv-record.ts, so results equal the csv-parse reference (ratings-csv.ts) on any input,
 * except records over MAX_RECORD_BYTES, which only this parser caps.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readCsvRecord } from './csv-record';
import { FileAccumulator, type FileResult, type RowRegion } from './file-result';
import {
  MAX_RECORD_BYTES,
  MAX_USER_ID,
  MIN_USER_ID,
  MIN_TIMESTAMP,
  RatingsFileError,
  headerColumns,
  judgeFields,
  type ColumnOrder,
  type ParseContext,
  type Reason,
} from '../../contract/ratings';
import type { IdTable } from './id-table';

const READ_BYTES = 1 << 20;
const PROGRESS_BYTES = 8 << 20;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

export type ProgressFn = (rows: number, bytes: number) => void;

export function parseFileBytes(path: string, ctx: ParseContext, ids: IdTable, region: RowRegion, onProgress?: ProgressFn): FileResult {
  return withFile(path, (fd) => new ByteParser(path, fstatSync(fd).size, ctx, ids, region).run(fd, onProgress));
}

/**
 * The most records the file can hold: its line ends plus one (both parsers end a record only at a
 * line end). The ingest sizes each file's share of its columns from this, before parsing.
 */
export function maxRecords(path: string): number {
  return withFile(path, (fd) => {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    let lineEnds = 0;
    for (let offset = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n === 0) return lineEnds + 1;
      offset += n;
      const chunk = n === buf.length ? buf : buf.subarray(0, n);
      for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) lineEnds++;
    }
  });
}

function withFile<T>(path: string, use: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new RatingsFileError(path, `cannot open: ${(e as Error).message}`);
  }
  try {
    return use(fd);
  } catch (e) {
    if (e instanceof RatingsFileError || !(e as NodeJS.ErrnoException).code) throw e;
    throw new RatingsFileError(path, `cannot read: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

class ByteParser {
  private readonly buf = Buffer.allocUnsafe(READ_BYTES + MAX_RECORD_BYTES);
  private len = 0;
  private pos = 0;
  private eof = false;
  private line = 1;
  private skippingToLineEnd = false;
  private lastDroppedByte = -1; // the byte before buf[0], for CRLF detection across refills
  private readonly acc: FileAccumulator;
  private readonly row = new Int32Array(4);
  // Field index of each column (from the header) and the current record's field bounds.
  private userCol = -1;
  private ratingCol = -1;
  private tsCol = -1;
  private movieCol = -1;
  private readonly fieldStart = new Int32Array(4);
  private readonly fieldEnd = new Int32Array(4);
  private order: ColumnOrder | null = null;

  constructor(
    private readonly path: string,
    size: number,
    private readonly ctx: ParseContext,
    private readonly ids: IdTable,
    region: RowRegion,
  ) {
    this.acc = new FileAccumulator(path, size, ctx.titleIds.length, region);
  }

  run(fd: number, onProgress?: ProgressFn): FileResult {
    let offset = 0;
    let reported = 0;
    while (!this.eof) {
      if (this.pos > 0) this.lastDroppedByte = this.buf[this.pos - 1];
      this.buf.copyWithin(0, this.pos, this.len);
      this.len -= this.pos;
      this.pos = 0;
      const n = readSync(fd, this.buf, this.len, this.buf.length - this.len, offset);
      offset += n;
      this.len += n;
      this.eof = n === 0;
      this.consume();
      if (!this.eof && this.len - this.pos >= MAX_RECORD_BYTES) this.pos = this.dropOverlong(this.pos);
      if (onProgress && offset - reported >= PROGRESS_BYTES) {
        reported = offset;
        onProgress(this.acc.dataRows, offset);
      }
    }
    if (this.order === null) {
      throw new RatingsFileError(
        this.path,
        offset === 0
          ? 'empty file: no header line (expected userId,rating,timestamp,movieId)'
          : 'no header line: the file has only blank lines',
      );
    }
    const lastByte = this.len > 0 ? this.buf[this.len - 1] : this.lastDroppedByte;
    return this.acc.finish(lastByte !== LF);
  }

  /** Handles every complete record in the buffer (and, at end of file, the last one). */
  private consume(): void {
    while (this.pos < this.len) {
      let next: number;
      if (this.skippingToLineEnd) next = this.skipToLineEnd();
      else if (this.order === null) next = this.headerRecord(this.pos);
      else next = this.dataRecord(this.pos);
      if (next < 0) return;
      this.pos = next;
    }
  }

  private dataRecord(s: number): number {
    const buf = this.buf;
    const len = this.len;
    let p = s;
    let commas = 0;
    let c1 = -1;
    let c2 = -1;
    let c3 = -1;
    for (; p < len; p++) {
      const c = buf[p];
      if (c === LF) break;
      if (c === COMMA) {
        commas++;
        if (commas === 1) c1 = p;
        else if (commas === 2) c2 = p;
        else if (commas === 3) c3 = p;
      } else if (c === QUOTE) {
        return this.quotedRecord(s);
      }
    }
    if (p === len && !this.eof) return -1;
    if (p - s >= MAX_RECORD_BYTES) return this.dropOverlong(s);
    let end = p;
    let next = len;
    if (p < len) {
      next = p + 1;
      if (p > s && buf[p - 1] === CR) {
        end = p - 1;
        this.acc.crlfLines++;
      } else {
        this.acc.lfLines++;
      }
    }
    const line = this.line;
    if (p < len) this.line++;
    if (end === s) return next; // blank line
    this.acc.dataRows++;
    const reason = commas !== 3 ? 'field_count' : this.judgeBytes(s, c1, c2, c3, end);
    if (reason !== null) this.reject(reason, line, s, end);
    return next;
  }

  /** Judges a 4-field record from its bytes; keeps it and returns null, or returns the reject reason. */
  private judgeBytes(s: number, c1: number, c2: number, c3: number, end: number): Reason | null {
    const buf = this.buf;
    const fs = this.fieldStart;
    const fe = this.fieldEnd;
    fs[0] = s;
    fe[0] = c1;
    fs[1] = c1 + 1;
    fe[1] = c2;
    fs[2] = c2 + 1;
    fe[2] = c3;
    fs[3] = c3 + 1;
    fe[3] = end;
    const user = parseUintBytes(buf, fs[this.userCol], fe[this.userCol], MAX_USER_ID);
    if (user < MIN_USER_ID) return 'user_id';
    const half = parseHalfStarsBytes(buf, fs[this.ratingCol], fe[this.ratingCol]);
    if (half < 0) return 'rating';
    const ts = parseUintBytes(buf, fs[this.tsCol], fe[this.tsCol], this.ctx.maxTimestamp);
    if (ts < MIN_TIMESTAMP) return 'timestamp';
    const title = this.ids.lookup(buf, fs[this.movieCol], fe[this.movieCol]);
    if (title < 0) return 'movie_id';
    this.acc.accept(user, title, half, ts);
    return null;
  }

  private quotedRecord(s: number): number {
    const r = readCsvRecord(this.buf, s, this.len, this.eof);
    if (r.status === 'more') return -1;
    const line = this.line;
    if (r.next - s > MAX_RECORD_BYTES) return this.dropOverlong(s);
    this.countLineEnds(s, r.next);
    if (r.status === 'blank') return r.next;
    this.acc.dataRows++;
    if (r.status === 'unclosed') {
      this.reject('malformed', line, s, r.next);
      return r.next;
    }
    const reason = judgeFields(r.fields, this.order!, this.ctx, this.row);
    if (reason !== null) {
      if (this.acc.wantsExample(reason)) this.acc.reject(reason, line, r.fields.join(','));
      else this.acc.reject(reason, line, null);
    } else {
      this.acc.accept(this.row[0], this.row[1], this.row[2], this.row[3]);
    }
    return r.next;
  }

  private headerRecord(s: number): number {
    const r = readCsvRecord(this.buf, s, this.len, this.eof);
    if (r.status === 'more') return -1;
    const line = this.line;
    this.countLineEnds(s, r.next);
    if (r.status === 'blank') return r.next;
    if (r.status === 'unclosed') throw new RatingsFileError(this.path, 'header line: a quote is never closed', line);
    const order = headerColumns(r.fields, this.path, line);
    this.order = order;
    this.userCol = order.userId;
    this.ratingCol = order.rating;
    this.tsCol = order.timestamp;
    this.movieCol = order.movieId;
    return r.next;
  }

  /**
   * A record longer than MAX_RECORD_BYTES is one malformed row, whatever its quotes; reading resumes after the
   * first line end following its start (so one stray quote cannot swallow the rest of the file).
   */
  private dropOverlong(s: number): number {
    if (this.order === null) {
      throw new RatingsFileError(this.path, `a record of more than ${MAX_RECORD_BYTES} bytes: not a ratings CSV file`, this.line);
    }
    this.acc.dataRows++;
    const at = this.buf.subarray(0, this.len).indexOf(LF, s);
    this.reject('malformed', this.line, s, at < 0 ? this.len : at);
    if (at >= 0) {
      this.countLineEnds(s, at + 1);
      return at + 1;
    }
    this.skippingToLineEnd = true;
    return this.len;
  }

  private skipToLineEnd(): number {
    const at = this.buf.subarray(0, this.len).indexOf(LF, this.pos);
    if (at < 0) return this.len;
    const before = at > 0 ? this.buf[at - 1] : this.lastDroppedByte;
    if (before === CR) this.acc.crlfLines++;
    else this.acc.lfLines++;
    this.line++;
    this.skippingToLineEnd = false;
    return at + 1;
  }

  private countLineEnds(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      if (this.buf[i] !== LF) continue;
      if ((i > 0 ? this.buf[i - 1] : this.lastDroppedByte) === CR) this.acc.crlfLines++;
      else this.acc.lfLines++;
      this.line++;
    }
  }

  private reject(reason: Reason, line: number, start: number, end: number): void {
    const text = this.acc.wantsExample(reason) ? this.buf.toString('utf8', start, Math.min(end, start + 1024)) : null;
    this.acc.reject(reason, line, text);
  }
}

/** Decimal digits with value <= max, else -1 (same rule as parseUserId / parseTimestamp). */
function parseUintBytes(buf: Uint8Array, start: number, end: number, max: number): number {
  if (start === end) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
    if (v > max) return -1;
  }
  return v;
}

/** Rating * 2 for `D[.F]` in 0.5..5 with F = 0 or 5 then zeros, else -1 (same rule as parseHalfStars). */
function parseHalfStarsBytes(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let v = 0;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    if (v > 5) return -1;
  }
  if (i === start) return -1;
  let half = v * 2;
  if (i < end) {
    if (buf[i] !== 46 || i + 1 === end) return -1;
    i++;
    if (buf[i] === 53) half++;
    else if (buf[i] !== 48) return -1;
    for (i++; i < end; i++) if (buf[i] !== 48) return -1;
  }
  return half >= 1 && half <= 10 ? half : -1;
}
