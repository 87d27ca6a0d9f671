/**
 * One CSV record read from bytes exactly the way csv-parse reads it with the options the reference uses
 * (relax_quotes, record_delimiter ['\r\n', '\n'], skip_empty_lines): the byte parser's path for the rare
 * records that contain a quote, and for the header.
 */
const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

export interface CsvRecord {
  /** more: the record runs past `len` and the file goes on; unclosed: the file ends inside quotes. */
  status: 'ok' | 'blank' | 'more' | 'unclosed';
  fields: string[];
  next: number; // where the next record starts
}

/** Reads the record at buf[start..]; bytes at or after `len` are not data (the buffer is reused). */
export function readCsvRecord(buf: Uint8Array, start: number, len: number, eof: boolean): CsvRecord {
  const fields: string[] = [];
  let field: number[] = [];
  let quoting = false;
  let wasQuoting = false;
  const more: CsvRecord = { status: 'more', fields, next: start };
  const endRecord = (next: number): CsvRecord => {
    if (!wasQuoting && fields.length === 0 && field.length === 0) return { status: 'blank', fields, next };
    fields.push(decode(field));
    return { status: 'ok', fields, next };
  };
  for (let p = start; p < len; p++) {
    const c = buf[p];
    if (quoting) {
      if (c !== QUOTE) {
        field.push(c);
        continue;
      }
      if (p + 2 >= len && !eof) return more; // the quote's meaning depends on the next one or two bytes
      const n1 = p + 1 < len ? buf[p + 1] : -1;
      if (n1 === QUOTE) {
        field.push(QUOTE);
        p++;
      } else if (n1 === -1 || n1 === COMMA || n1 === LF || (n1 === CR && p + 2 < len && buf[p + 2] === LF)) {
        quoting = false;
        wasQuoting = true;
      } else {
        // relax_quotes: a quote not followed by a separator closes nothing; the field is kept as written.
        field.unshift(QUOTE);
        field.push(QUOTE);
        quoting = false;
        wasQuoting = true;
      }
      continue;
    }
    if (c === QUOTE) {
      if (field.length === 0) quoting = true;
      else field.push(c); // relax_quotes: a quote inside an unquoted field is an ordinary character
      continue;
    }
    if (c === LF) return endRecord(p + 1);
    if (c === CR) {
      if (p + 1 >= len && !eof) return more;
      if (p + 1 < len && buf[p + 1] === LF) return endRecord(p + 2);
    }
    if (c === COMMA) {
      fields.push(decode(field));
      field = [];
      wasQuoting = false;
      continue;
    }
    field.push(c);
  }
  if (!eof) return more;
  if (quoting) return { status: 'unclosed', fields, next: len };
  return endRecord(len);
}

function decode(bytes: number[]): string {
  return Buffer.from(bytes).toString('utf8');
}
