// A deterministic sample of rating files: every rating of one user in `every` (userId divisible by
// it), header and line endings kept, so integration tests run the real loader on real-format files in
// seconds. Sampling users rather than rows keeps each sampled user's whole history (the per-user signal
// the recommender learns from) and shrinks the per-user model data with the row count. Rows whose
// userId is unreadable are sampled by position, so malformed rows keep their share.
// Cached on disk, keyed by the source files' names, sizes and modification times.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const COMMA = 44;
const NEWLINE = 10;

/** The leading decimal userId of a row, or -1 when the first field is not one. */
function userIdOf(row: Buffer): number {
  let id = 0;
  let i = 0;
  for (; i < row.length && row[i] !== COMMA; i++) {
    const digit = row[i] - 48;
    if (digit < 0 || digit > 9 || i >= 9) return -1;
    id = id * 10 + digit;
  }
  return i > 0 && i < row.length ? id : -1;
}

async function sampleFile(source: string, every: number): Promise<Buffer> {
  const kept: Buffer[] = [];
  let carry = Buffer.alloc(0);
  let line = 0;
  const consider = (row: Buffer) => {
    const user = line === 0 ? 0 : userIdOf(row); // line 0: the header, always kept
    if (user >= 0 ? user % every === 0 : line % every === 0) kept.push(row);
    line++;
  };
  for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(NEWLINE, start); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
      consider(data.subarray(start, nl + 1));
      start = nl + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
  if (carry.length > 0) consider(carry);
  return Buffer.concat(kept);
}

/** Sampled copies of `files` (same names), one user in `every`, under `cacheDir`; built once per input state. */
export async function sampleRatings(files: string[], every: number, cacheDir: string): Promise<string[]> {
  const key = createHash('sha256')
    .update(JSON.stringify({ by: 'user', every, files: files.map((f) => [basename(f), statSync(f).size, statSync(f).mtimeMs]) }))
    .digest('hex')
    .slice(0, 16);
  const dir = join(cacheDir, `sample-${key}`);
  const outputs = files.map((f) => join(dir, basename(f)));
  if (existsSync(join(dir, 'COMPLETE'))) return outputs;

  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const file of files) writeFileSync(join(tmp, basename(file)), await sampleFile(file, every));
  writeFileSync(join(tmp, 'COMPLETE'), `every ${every} of ${files.length} files\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  for (const stale of readdirSync(cacheDir)) {
    if (stale.startsWith('sample-') && join(cacheDir, stale) !== dir) rmSync(join(cacheDir, stale), { recursive: true, force: true });
  }
  return outputs;
}
