/**
 * The reference parser: csv-parse (streaming, Buffer chunks, no columns, no cast) plus the shared string rules.
 * Slower than ratings-bytes.ts; tests assert both give identical results, and the bench measures both.
 * It has no record-size cap (csv-parse's max_record_size drops the rest of a chunk when skipping), so a file
 * without line ends grows one record in memory: use it on trusted or small inputs.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse, type CsvError } from 'csv-parse';
import { FileAccumulator, type FileResult, type RowRegion } from './file-result';
import { RatingsFileError, headerColumns, judgeFields, type ColumnOrder, type ParseContext } from '../../contract/ratings';
import type { ProgressFn } from './parse-bytes';

const LF = 10;
const CR = 13;

export async function parseFileCsv(path: string, ctx: ParseContext, region: RowRegion, onProgress?: ProgressFn): Promise<FileResult> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new RatingsFileError(path, `cannot open: ${(e as Error).message}`);
  }
  const acc = new FileAccumulator(path, size, ctx.titleIds.length, region);
  const row = new Int32Array(4);
  let order: ColumnOrder | null = null;
  let fatal: Error | null = null;

  const parser = parse({
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
    skip_records_with_error: true,
    // With the options above the only skippable error is a quote left open at the end of the file.
    on_skip: (err: CsvError | undefined) => {
      const line = Number((err as unknown as { lines?: number } | undefined)?.lines ?? 0);
      if (order === null) {
        fatal ??= new RatingsFileError(path, 'header line: a quote is never closed', line);
        return;
      }
      acc.dataRows++;
      acc.reject('malformed', line, '');
    },
  });
  parser.on('data', (fields: string[]) => {
    if (fatal !== null) return;
    // Records are emitted synchronously while csv-parse is still at the line that ended them.
    const line = parser.info.lines;
    if (order === null) {
      try {
        order = headerColumns(fields, path, line);
      } catch (e) {
        fatal = e as Error;
        parser.destroy();
      }
      return;
    }
    acc.dataRows++;
    const reason = judgeFields(fields, order, ctx, row);
    if (reason === null) acc.accept(row[0], row[1], row[2], row[3]);
    else acc.reject(reason, line, acc.wantsExample(reason) ? fields.join(',') : null);
  });

  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let reported = 0;
  let previous = -1;
  input.on('data', (chunk) => {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(LF); i >= 0; i = buf.indexOf(LF, i + 1)) {
      if ((i > 0 ? buf[i - 1] : previous) === CR) acc.crlfLines++;
      else acc.lfLines++;
    }
    previous = buf.length > 0 ? buf[buf.length - 1] : previous;
    bytes += buf.length;
    if (onProgress && bytes - reported >= 8 << 20) {
      reported = bytes;
      onProgress(acc.dataRows, bytes);
    }
  });

  await new Promise<void>((resolve, reject) => {
    input.on('error', (e) => reject(new RatingsFileError(path, `cannot read: ${e.message}`)));
    parser.on('error', (e) => reject(e));
    parser.on('end', resolve);
    parser.on('close', () => (fatal ? reject(fatal) : resolve()));
    input.pipe(parser);
  }).finally(() => input.destroy());
  if (fatal !== null) throw fatal;
  if (order === null) {
    throw new RatingsFileError(
      path,
      size === 0
        ? 'empty file: no header line (expected userId,rating,timestamp,movieId)'
        : 'no header line: the file has only blank lines',
    );
  }
  return acc.finish(size > 0 && previous !== LF);
}
