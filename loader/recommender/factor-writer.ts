// Writes one side of a factor model in the layout Spark's `model.userFactors.write.parquet(DIR)` leaves
// (docs/reference.md#factors-trained-elsewhere): part-*.snappy.parquet files with Spark's schema
//   required int32 id; optional group features (LIST) { repeated group list { required float element } }
// (array<float> with containsNull = false, Spark's standard 3-level encoding) and an empty _SUCCESS.
// hyparquet-writer compresses with snappy by default.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

export const SPARK_FACTOR_SCHEMA = [
  { name: 'spark_schema', num_children: 2 },
  { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
  { name: 'features', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'REQUIRED', type: 'FLOAT' },
] as const;

export interface FactorRows {
  ids: ArrayLike<number>;
  /** One array per id; a writer of test fixtures may give rows of other lengths or NaNs on purpose. */
  features: ArrayLike<number>[];
}

/** Writes `rows` into `dir` as `parts` part files (Spark writes one per partition) and _SUCCESS. */
export function writeFactorTable(dir: string, rows: FactorRows, parts = 1): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const n = rows.ids.length;
  for (let p = 0; p < parts; p++) {
    const from = Math.floor((n * p) / parts);
    const to = Math.floor((n * (p + 1)) / parts);
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: Array.from({ length: to - from }, (_, i) => rows.ids[from + i]) },
        { name: 'features', data: rows.features.slice(from, to).map((f) => Array.from(f)) },
      ],
      schema: SPARK_FACTOR_SCHEMA.map((e) => ({ ...e })),
    });
    const file = join(dir, `part-${String(p).padStart(5, '0')}-factors-c000.snappy.parquet`);
    writeFileSync(file, new Uint8Array(buffer));
    files.push(file);
  }
  writeFileSync(join(dir, '_SUCCESS'), '');
  return files;
}
