/**
 * The set of blob IDs a backup already has (the drive's index plus blobs written since), shared
 * with the worker threads through a SharedArrayBuffer, so a worker that has hashed a chunk can skip
 * compressing and encrypting it when it is a duplicate. That is most of the work when a large file
 * changed only a little.
 *
 * An open-addressing table of 128-bit ID prefixes (two int64 words per slot). Only the archiver's
 * thread adds; workers only look up. The first word of a slot is written last with Atomics.store and
 * read first with Atomics.load, so a worker never sees half an entry. A worker may miss an ID added
 * a moment ago (it then seals a duplicate, which the pack writer drops) but never finds an ID that
 * was not added. A 128-bit prefix match stands for the whole ID; the archiver still checks the full
 * ID and seals the chunk itself in the (astronomically unlikely) case that it is not there.
 */

const EMPTY = 0n;

/** Two int64 words from the first 32 hex digits of an ID; the first is never 0 (0 marks empty). */
function words(id: string): [bigint, bigint] {
  const a = BigInt.asIntN(64, BigInt(`0x${id.slice(0, 16)}`));
  const b = BigInt.asIntN(64, BigInt(`0x${id.slice(16, 32)}`));
  return [a === EMPTY ? 1n : a, b];
}

export class KnownIds {
  private table: BigInt64Array;
  private count = 0;

  /** `buffer` from another thread's KnownIds (read-only use), or a new table for `capacity` IDs. */
  constructor(source: { buffer: SharedArrayBuffer } | { capacity: number }) {
    if ('buffer' in source) {
      this.table = new BigInt64Array(source.buffer);
    } else {
      let slots = 1024;
      while (slots < source.capacity * 2) slots *= 2;
      this.table = new BigInt64Array(new SharedArrayBuffer(slots * 16));
    }
  }

  get buffer(): SharedArrayBuffer {
    return this.table.buffer as SharedArrayBuffer;
  }

  get size(): number {
    return this.count;
  }

  private get slots(): number {
    return this.table.length / 2;
  }

  has(id: string): boolean {
    const [a, b] = words(id);
    const mask = this.slots - 1;
    for (let i = Number(a & BigInt(mask)); ; i = (i + 1) & mask) {
      const w = Atomics.load(this.table, i * 2);
      if (w === EMPTY) return false;
      if (w === a && this.table[i * 2 + 1] === b) return true;
    }
  }

  /**
   * Adds an ID. Returns false when the table is half full: the caller then makes a bigger one
   * (`grown`) and hands its buffer to the workers.
   */
  add(id: string): boolean {
    if ((this.count + 1) * 2 > this.slots) return false;
    const [a, b] = words(id);
    const mask = this.slots - 1;
    for (let i = Number(a & BigInt(mask)); ; i = (i + 1) & mask) {
      const w = this.table[i * 2];
      if (w === a && this.table[i * 2 + 1] === b) return true;
      if (w === EMPTY) {
        this.table[i * 2 + 1] = b;
        Atomics.store(this.table, i * 2, a);
        this.count++;
        return true;
      }
    }
  }

  /** A table twice the size holding the same IDs. */
  grown(): KnownIds {
    const next = new KnownIds({ capacity: this.slots });
    for (let i = 0; i < this.slots; i++) {
      const a = this.table[i * 2];
      if (a !== EMPTY) next.insertWords(a, this.table[i * 2 + 1]);
    }
    return next;
  }

  private insertWords(a: bigint, b: bigint): void {
    const mask = this.slots - 1;
    let i = Number(a & BigInt(mask));
    while (this.table[i * 2] !== EMPTY) i = (i + 1) & mask;
    this.table[i * 2 + 1] = b;
    this.table[i * 2] = a;
    this.count++;
  }
}
