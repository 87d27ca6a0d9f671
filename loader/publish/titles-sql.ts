// The catalog of one data version as a parameter-free SQL file for D1's import API: one DELETE of the
// version's rows (so re-importing is idempotent), then multi-row INSERTs, each kept under D1's
// 100,000-byte statement limit. Every value is a literal, so escaping is the whole job: text in single
// quotes with quotes doubled, numbers in their shortest round-trip form, NULL for null.
import { d1SearchText, TITLE_COLUMNS, type Title } from '../../contract';

/** D1's documented maximum SQL statement length, in bytes. */
export const D1_MAX_STATEMENT_BYTES = 100_000;

export type SqlValue = string | number | null;

export function sqlLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    // String(n) is the shortest text that parses back to the same double ("3.5", "1e-7", "4.123456789012345").
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as an SQL literal`);
    return Object.is(value, -0) ? '0' : String(value);
  }
  if (typeof value !== 'string') throw new Error(`cannot write a ${typeof value} as an SQL literal`);
  // SQLite ends text at NUL, and lone surrogates cannot be encoded as UTF-8: both would be stored altered.
  if (value.includes('\0')) throw new Error(`text contains a NUL character: ${JSON.stringify(value.slice(0, 60))}`);
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
    throw new Error(`text contains an unpaired surrogate: ${JSON.stringify(value.slice(0, 60))}`);
  }
  return `'${value.replaceAll("'", "''")}'`;
}

export interface TitlesSql {
  sql: string;
  statements: number;
  bytes: number;
}

export function titlesImportSql(version: string, titles: Title[], maxStatementBytes = D1_MAX_STATEMENT_BYTES): TitlesSql {
  const versionLiteral = sqlLiteral(version);
  const head = `INSERT INTO titles (version, ${TITLE_COLUMNS.map((c) => `"${c}"`).join(', ')}, search_text) VALUES\n`;
  const headBytes = Buffer.byteLength(head);
  const statements = [`DELETE FROM titles WHERE version = ${versionLiteral};\n`];

  let rows: string[] = [];
  let bytes = headBytes;
  const flush = () => {
    if (rows.length > 0) statements.push(`${head + rows.join(',\n')};\n`);
    rows = [];
    bytes = headBytes;
  };
  for (const title of titles) {
    const row = `(${versionLiteral}, ${TITLE_COLUMNS.map((c) => sqlLiteral(title[c])).join(', ')}, ${sqlLiteral(d1SearchText(title))})`;
    const rowBytes = Buffer.byteLength(row) + 2; // ",\n" or ";\n"
    if (headBytes + rowBytes > maxStatementBytes) {
      throw new Error(
        `title ${title.id} alone needs ${headBytes + rowBytes} bytes of SQL, over D1's ${maxStatementBytes}-byte statement limit`,
      );
    }
    if (bytes + rowBytes > maxStatementBytes) flush();
    rows.push(row);
    bytes += rowBytes;
  }
  flush();
  const sql = statements.join('');
  return { sql, statements: statements.length, bytes: Buffer.byteLength(sql) };
}
