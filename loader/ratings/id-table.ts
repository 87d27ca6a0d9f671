/**
 * Catalog id -> title index, looked up straight from the bytes of a file so the hot loop creates no string
 * per row. Open addressing over FNV-1a hashes of the ids' UTF-8 bytes.
 */
export class IdTable {
  private readonly keys: Uint8Array;
  private readonly keyStart: Int32Array;
  private readonly keyEnd: Int32Array;
  private readonly slots: Int32Array; // title index + 1; 0 = empty
  private readonly mask: number;
  private readonly maxKeyBytes: number;

  constructor(ids: readonly string[]) {
    const encoded = ids.map((id) => Buffer.from(id, 'utf8'));
    this.keys = Buffer.concat(encoded);
    this.keyStart = new Int32Array(ids.length);
    this.keyEnd = new Int32Array(ids.length);
    let offset = 0;
    encoded.forEach((b, i) => {
      this.keyStart[i] = offset;
      offset += b.length;
      this.keyEnd[i] = offset;
    });
    this.maxKeyBytes = encoded.reduce((m, b) => Math.max(m, b.length), 0);
    let size = 16;
    while (size < ids.length * 4) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < ids.length; i++) {
      if (this.lookup(this.keys, this.keyStart[i], this.keyEnd[i]) >= 0) continue; // first occurrence wins
      let h = hashBytes(this.keys, this.keyStart[i], this.keyEnd[i]) & this.mask;
      while (this.slots[h] !== 0) h = (h + 1) & this.mask;
      this.slots[h] = i + 1;
    }
  }

  /** Title index of the id in buf[start, end), or -1. */
  lookup(buf: Uint8Array, start: number, end: number): number {
    const len = end - start;
    if (len > this.maxKeyBytes) return -1;
    const keys = this.keys;
    let h = hashBytes(buf, start, end) & this.mask;
    for (;;) {
      const slot = this.slots[h];
      if (slot === 0) return -1;
      const i = slot - 1;
      const ks = this.keyStart[i];
      if (this.keyEnd[i] - ks === len) {
        let j = 0;
        while (j < len && keys[ks + j] === buf[start + j]) j++;
        if (j === len) return i;
      }
      h = (h + 1) & this.mask;
    }
  }
}

function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
}
