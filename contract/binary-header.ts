// The header every binary value of the contract's own layouts starts with (the catalog index and
// rows, the recommender's title blob and user shards): u8[4] magic, u32 format version, u32 total
// byte length, little-endian. One check for all of them, so a truncated, foreign or newer value is
// refused the same way whichever layout it claims to be.

export interface BinaryHeaderSpec {
  /** Names the value in errors: "catalog index", "RMUS", ... */
  what: string;
  magic: string;
  format: number;
  /** The layout's full header: a shorter value cannot be read at all. */
  headerBytes: number;
}

/** The value's DataView once its header checks out; else `fail`'s error (each layout has its own error class). */
export function checkBinaryHeader(bytes: Uint8Array, spec: BinaryHeaderSpec, fail: (message: string) => Error): DataView {
  const { what, magic, format, headerBytes } = spec;
  if (bytes.length < headerBytes)
    throw fail(`${what}: value of ${bytes.length} bytes is too short, shorter than the ${headerBytes}-byte header`);
  const found = String.fromCharCode(...bytes.subarray(0, 4));
  if (found !== magic) throw fail(`${what}: expected a ${magic} value, found magic ${JSON.stringify(found)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== format) throw fail(`${what}: format version ${version}, this code reads ${format}`);
  const length = view.getUint32(8, true);
  if (length !== bytes.length) throw fail(`${what}: header says ${length} bytes, value has ${bytes.length} (truncated?)`);
  return view;
}
