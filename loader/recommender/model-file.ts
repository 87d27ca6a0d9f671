// Save format shared by the models: "RMDL", a JSON header (kind, scalars, hyperparameters) and
// Float32 arrays, 4-byte aligned. Models round-trip exactly because Float32 values are stored as is.
import type { ModelKind } from './rating-model';

const MAGIC = 0x4c444d52; // "RMDL" little-endian

export interface ModelHeader {
  kind: ModelKind;
  [field: string]: unknown;
}

export function packModel(header: ModelHeader, arrays: Record<string, Float32Array>): Uint8Array {
  const names = Object.keys(arrays);
  const json = new TextEncoder().encode(JSON.stringify({ ...header, arrays: names.map((name) => [name, arrays[name].length]) }));
  const jsonPadded = (json.length + 3) & ~3;
  let total = 8 + jsonPadded;
  for (const name of names) total += arrays[name].byteLength;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  bytes.set(json, 8);
  let offset = 8 + jsonPadded;
  for (const name of names) {
    const a = arrays[name];
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  return bytes;
}

export function unpackModel(bytes: Uint8Array): { header: ModelHeader; arrays: Record<string, Float32Array> } {
  if (bytes.length < 8) throw new Error('model bytes too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new Error('not a saved model (bad magic)');
  const jsonLength = view.getUint32(4, true);
  const parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + jsonLength)));
  const { arrays: layout, ...header } = parsed as ModelHeader & { arrays: [string, number][] };
  const arrays: Record<string, Float32Array> = {};
  let offset = 8 + ((jsonLength + 3) & ~3);
  for (const [name, length] of layout) {
    if (offset + length * 4 > bytes.length) throw new Error(`model bytes truncated in array ${name}`);
    arrays[name] = new Float32Array(bytes.slice(offset, offset + length * 4).buffer);
    offset += length * 4;
  }
  return { header, arrays };
}
