// Reads one side of a Spark ALS model as Spark writes it (docs/reference.md#factors-trained-elsewhere):
// `model.userFactors.write.parquet(DIR/userFactors)` leaves DIR/userFactors/part-*.parquet and a
// _SUCCESS marker; each row is `id` int and `features` array<float> (Parquet: required int32 id, a
// 3-level LIST of float), snappy-compressed by default. hyparquet (pure JS) decodes snappy and nested
// lists. Every problem is a FactorsError naming the file and the row: nothing is published after one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';

export class FactorsError extends Error {
  override name = 'FactorsError';
}

export interface FactorTable {
  dir: string;
  files: string[];
  ids: Int32Array;
  rank: number;
  /** ids.length * rank, row r = features of ids[r], as float32 (Spark's element type). */
  features: Float32Array;
}

/** The part files of a Spark output directory, in name order, after checking it is complete. */
export function factorFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FactorsError(`${dir}: no such directory`);
  const names = readdirSync(dir);
  if (!names.includes('_SUCCESS')) throw new FactorsError(`${dir}: no _SUCCESS file, so the Spark job did not finish writing it`);
  const parts = names.filter((n) => /^part-.*\.parquet$/.test(n)).sort();
  if (parts.length === 0) throw new FactorsError(`${dir}: empty, no part-*.parquet files`);
  return parts.map((n) => join(dir, n));
}

/** Rows decoded into objects at a time: bounds the transient objects on a model of millions of users. */
const BATCH_ROWS = 65_536;

export async function readFactorTable(dir: string): Promise<FactorTable> {
  const files = factorFiles(dir);
  const ids: number[] = [];
  const chunks: Float32Array[] = [];
  let rank = -1;
  let rankSource = '';
  const seen = new Set<number>();
  for (const file of files) {
    const buffer = new Uint8Array(readFileSync(file)).buffer;
    let metadata: ReturnType<typeof parquetMetadata>;
    try {
      metadata = parquetMetadata(buffer);
    } catch (error) {
      throw new FactorsError(`${file}: not a readable Parquet file (${(error as Error).message})`);
    }
    checkSchema(file, metadata.schema as unknown as SchemaElement[]);
    const rows = Number(metadata.num_rows);
    for (let rowStart = 0; rowStart < rows; rowStart += BATCH_ROWS) {
      const rowEnd = Math.min(rows, rowStart + BATCH_ROWS);
      let records: Record<string, unknown>[];
      try {
        records = await parquetReadObjects({ file: buffer, metadata, columns: ['id', 'features'], rowStart, rowEnd });
      } catch (error) {
        throw new FactorsError(`${file}: not a readable Parquet file (${(error as Error).message})`);
      }
      let chunk: Float32Array | undefined;
      records.forEach((record, i) => {
        const id = record.id;
        const features = record.features;
        if (typeof id !== 'number' || !Number.isInteger(id)) throw new FactorsError(`${file}: a row has id ${String(id)}, not an int`);
        if (seen.has(id)) throw new FactorsError(`${dir}: id ${id} appears twice`);
        seen.add(id);
        if (!Array.isArray(features) || features.length === 0) throw new FactorsError(`${file}: id ${id} has no features`);
        if (rank < 0) {
          rank = features.length;
          rankSource = `id ${id}`;
        } else if (features.length !== rank) {
          throw new FactorsError(`${file}: id ${id} has ${features.length} features, ${rankSource} has ${rank}: mismatched ranks`);
        }
        const bad = features.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
        if (bad >= 0) throw new FactorsError(`${file}: id ${id} has feature ${bad} = ${String(features[bad])}, not a finite number`);
        chunk ??= new Float32Array(records.length * rank);
        chunk.set(features as number[], i * rank);
        ids.push(id);
      });
      if (chunk) chunks.push(chunk);
    }
  }
  if (ids.length === 0) throw new FactorsError(`${dir}: empty, its part files hold no rows`);
  const features = new Float32Array(ids.length * rank);
  let at = 0;
  for (const chunk of chunks) {
    features.set(chunk, at);
    at += chunk.length;
  }
  return { dir, files, ids: Int32Array.from(ids), rank, features };
}

interface SchemaElement {
  name: string;
  type?: string;
  repetition_type?: string;
  converted_type?: string;
  logical_type?: { type?: string };
  num_children?: number;
}

/** Spark's schema: id INT32 and features a LIST whose leaf is FLOAT (other columns are refused). */
function checkSchema(file: string, schema: SchemaElement[]): void {
  const columns: string[] = [];
  let id: SchemaElement | undefined;
  let list: SchemaElement | undefined;
  let leaf: SchemaElement | undefined;
  // Flattened depth first: element 0 is the root; the top-level columns are its children.
  for (let i = 1, top = 0; i < schema.length && top < (schema[0].num_children ?? 0); top++) {
    const column = schema[i];
    columns.push(column.name);
    if (column.name === 'id') id = column;
    let end = i + 1;
    let pending = column.num_children ?? 0;
    while (pending > 0 && end < schema.length) {
      pending += (schema[end].num_children ?? 0) - 1;
      if (column.name === 'features' && !schema[end].num_children) leaf = schema[end];
      end++;
    }
    if (column.name === 'features') list = column;
    i = end;
  }
  const isList = list && (list.converted_type === 'LIST' || list.logical_type?.type === 'LIST');
  if (columns.length !== 2 || id?.type !== 'INT32' || !isList || leaf?.type !== 'FLOAT') {
    throw new FactorsError(
      `${file}: expected Spark ALS columns id int and features array<float>, got ${schema
        .slice(1)
        .map((e) => `${e.name}${e.type ? `:${e.type}` : ''}`)
        .join(', ')}`,
    );
  }
}
