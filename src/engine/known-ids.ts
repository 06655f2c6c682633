/**
 * The blob IDs a backup knows (its drives' indexes plus blobs written or queued since), numbered
 * in the order they were added, in shared memory so the worker threads can look them up: a worker
 * that has hashed a chunk skips compressing and encrypting it when the ID is known. BlobIndex keeps
 * each entry's location in arrays parallel to these entries.
 *
 * Two SharedArrayBuffers (`KnownTable`): `ids`, a growable array of 32-byte IDs (eight int32 words,
 * each the value of eight hex digits), one per entry; `slots`, an open-addressing table (linear
 * probing, at most half full) of entry number + 1 (0 marks an empty slot), placed by the ID's first
 * word. An ID added again (a blob stored in two packs) gets an entry but no slot: `find` gives the
 * first. Only the owning thread adds; workers only look up. An entry's ID is written before its
 * slot is published with Atomics.store, and a reader loads the slot with Atomics.load before
 * reading the ID, so a worker never sees half an entry. A worker may miss an ID added a moment ago
 * (it then seals a duplicate, which the pack writer drops) but never finds one that was not added.
 * When the slots fill up, the owner builds a table twice the size and hands it to the workers
 * (`onGrown`); the old one stays valid for them until they switch.
 *
 * 32 bytes per entry plus 4 bytes per slot (8 to 16 per entry): about 45 bytes per blob, against
 * some 250 for a Map from hex strings, and the workers share the same bytes.
 */
import { EngineError } from './errors';

export interface KnownTable {
  ids: SharedArrayBuffer;
  slots: SharedArrayBuffer;
}

/** One growable SharedArrayBuffer holds at most 4 GiB: 2^27 IDs. */
export const MAX_ENTRIES = 2 ** 27;
const WORDS = 8;
const HEX_SCRATCH = Buffer.alloc(WORDS * 4);
const ID_BYTES = WORDS * 4;
const MIN_SLOTS = 1024;

// ES2024 growable SharedArrayBuffer (Node 20+), not yet in the ES2022 lib this project compiles with
type Growable = SharedArrayBuffer & { grow(byteLength: number): void; readonly maxByteLength: number };
const GrowableSAB = SharedArrayBuffer as unknown as new (
  byteLength: number,
  options: { maxByteLength: number },
) => Growable;

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i;

/** Word `k` (0..7) of a hex ID: the value of its digits 8k..8k+7, as an int32. */
function word(id: string, k: number): number {
  let w = 0;
  for (let j = k * 8; j < k * 8 + 8; j++) w = (w << 4) | HEX[id.charCodeAt(j) & 127];
  return w;
}

/** True for 64 lowercase hex digits, the only form an ID takes. */
export function isId(id: unknown): id is string {
  if (typeof id !== 'string' || id.length !== 64) return false;
  for (let j = 0; j < 64; j++) {
    const c = id.charCodeAt(j);
    if (c > 127 || HEX[c] < 0) return false;
  }
  return true;
}

function slotsFor(entries: number): number {
  let n = MIN_SLOTS;
  while (n < entries * 2) n *= 2;
  return n;
}

export class KnownIds {
  private idBuffer: Growable;
  /** a fixed-length view, remade when the buffer grows (length-tracking views are several times slower to index) */
  private ids: Int32Array;
  private slots: Int32Array;
  private count = 0;
  private slotted = 0;
  private readonly owner: boolean;
  /** the words of the ID looked up last: a backup asks about the same ID several times in a row */
  private lastId = '';
  private readonly lastWords = new Int32Array(WORDS);
  /** the words of the ID findAt looks up */
  private readonly atWords = new Int32Array(WORDS);
  /** hears of a bigger slot table, to hand to the workers */
  onGrown?: (table: KnownTable) => void;

  /** `table` from another thread's KnownIds (lookups only), or a new table for about `capacity` IDs. */
  constructor(source: { table: KnownTable } | { capacity: number }) {
    if ('table' in source) {
      this.owner = false;
      this.idBuffer = source.table.ids as Growable;
      this.slots = new Int32Array(source.table.slots);
    } else {
      this.owner = true;
      this.idBuffer = new GrowableSAB(0, { maxByteLength: MAX_ENTRIES * ID_BYTES });
      this.slots = new Int32Array(new SharedArrayBuffer(slotsFor(source.capacity) * 4));
    }
    this.ids = new Int32Array(this.idBuffer, 0, this.idBuffer.byteLength / 4);
  }

  get table(): KnownTable {
    return { ids: this.idBuffer, slots: this.slots.buffer as SharedArrayBuffer };
  }

  /** Entries added (IDs added twice count twice). */
  get size(): number {
    return this.count;
  }

  /** Distinct IDs added. */
  get distinct(): number {
    return this.slotted;
  }

  has(id: string): boolean {
    return this.find(id) >= 0;
  }

  /** The first entry holding `id`, or -1. */
  find(id: string): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const w0 = word(id, 0);
    for (let i = w0 & mask; ; i = (i + 1) & mask) {
      const s = Atomics.load(slots, i);
      if (s === 0) return -1;
      const at = (s - 1) * WORDS;
      // a worker's view ends where the buffer did when it last looked; the entry was written before its slot
      if (at >= this.ids.length) this.ids = new Int32Array(this.idBuffer, 0, this.idBuffer.byteLength / 4);
      if (this.ids[at] === w0 && this.sameWords(this.wordsOf(id), at)) return s - 1;
    }
  }

  /**
   * The first entry holding the 32-byte ID at `offset` in `buf`, or -1: `find` for an ID read from a
   * file (the file cache's records), without making its hex string.
   */
  findAt(buf: Buffer, offset: number): number {
    const w = this.atWords;
    for (let k = 0; k < WORDS; k++) w[k] = buf.readInt32BE(offset + k * 4);
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = w[0] & mask; ; i = (i + 1) & mask) {
      const s = Atomics.load(slots, i);
      if (s === 0) return -1;
      const at = (s - 1) * WORDS;
      if (at >= this.ids.length) this.ids = new Int32Array(this.idBuffer, 0, this.idBuffer.byteLength / 4);
      if (this.sameWords(w, at)) return s - 1;
    }
  }

  private sameWords(w: Int32Array, at: number): boolean {
    const ids = this.ids;
    for (let k = 0; k < WORDS; k++) if (ids[at + k] !== w[k]) return false;
    return true;
  }

  private wordsOf(id: string): Int32Array {
    if (id !== this.lastId) {
      for (let k = 0; k < WORDS; k++) this.lastWords[k] = word(id, k);
      this.lastId = id;
    }
    return this.lastWords;
  }

  /**
   * Adds an entry for `id` (a valid ID: see isId) and returns its number. Lookups find it unless
   * the ID was there already (then they keep finding the first entry).
   */
  add(id: string): number {
    if (!this.owner) throw new Error('bug: KnownIds.add on a table borrowed from another thread');
    const first = this.find(id);
    const e = this.count;
    if (e >= MAX_ENTRIES) {
      throw new EngineError(
        `more than ${MAX_ENTRIES} blobs in one index; back up in smaller parts or prune the drive`,
        'TOO_MANY_BLOBS',
      );
    }
    if ((e + 1) * WORDS > this.ids.length) this.growIds(e + 1);
    const w = this.wordsOf(id);
    this.ids.set(w, e * WORDS);
    this.count++;
    if (first < 0) {
      if ((this.slotted + 1) * 2 > this.slots.length) this.growSlots();
      this.publish(this.slots, e, w[0]);
      this.slotted++;
    }
    return e;
  }

  /** The ID of entry `e` as hex (through a scratch buffer: building the string word by word cost 4 µs). */
  hex(e: number): string {
    for (let k = 0; k < WORDS; k++) HEX_SCRATCH.writeInt32BE(this.ids[e * WORDS + k], k * 4);
    return HEX_SCRATCH.toString('hex');
  }

  /** Writes the 32 bytes of entry `e`'s ID into `buf` at `offset`. */
  copyId(e: number, buf: Buffer, offset: number): void {
    for (let k = 0; k < WORDS; k++) buf.writeInt32BE(this.ids[e * WORDS + k], offset + k * 4);
  }

  private publish(slots: Int32Array, e: number, w0: number): void {
    const mask = slots.length - 1;
    let i = w0 & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    Atomics.store(slots, i, e + 1);
  }

  private growIds(entries: number): void {
    // doubling; only pages written to take memory, and the buffer never moves
    const want = Math.min(MAX_ENTRIES, Math.max(entries, this.count * 2, 4096)) * ID_BYTES;
    this.idBuffer.grow(want);
    this.ids = new Int32Array(this.idBuffer, 0, want / 4);
  }

  private growSlots(): void {
    const next = new Int32Array(new SharedArrayBuffer(this.slots.length * 2 * 4));
    // re-place the slotted entries (the first of each ID); the old table stays as it was for readers
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s !== 0) this.publish(next, s - 1, this.ids[(s - 1) * WORDS]);
    }
    this.slots = next;
    this.onGrown?.(this.table);
  }
}
