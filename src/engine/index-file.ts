/**
 * Index files (which packs hold which blobs, and where the packs are) and the in-memory blob
 * index built from them, across one or more drives.
 */
import { blobAad, metadataAad } from './config';
import type { Drive } from './drive';
import type { PackBlob } from './pack';
import type { PackLocation } from './drive-store';
import { decodeJson, encodeJson, decodeBlob } from './blob';
import type { BlobType } from './blob';
import { contentId } from './hash';
import { CorruptionError } from './errors';
import { KnownIds, MAX_ENTRIES, isId } from './known-ids';
import type { KnownTable } from './known-ids';
import { VOLUME_LABEL_SIZE } from './drive-tape';
import { checkIndexFile, onDrive } from './validate';
import type { PackBounds } from './validate';

export interface IndexPack extends PackLocation {
  blobs: PackBlob[];
}

export interface IndexFile {
  version: 1;
  packs: IndexPack[];
  supersedes?: string[];
}

export interface BlobLocation {
  drive: Drive;
  pack: IndexPack;
  blob: PackBlob;
}

export function encodeIndex(drive: Drive, file: IndexFile): { id: string; data: Buffer } {
  const data = encodeJson(drive.key, file, metadataAad(drive.config.version, 'index'));
  return { id: contentId(data), data };
}

/** Where the drive's packs may lie, for checking its index files. */
function packBounds(drive: Drive): PackBounds {
  const t = drive.config.tape;
  return t ? { tape: { volumeSize: t.volumeSize, volumes: t.volumes, labelSize: VOLUME_LABEL_SIZE } } : {};
}

/**
 * Reads one index file and checks all of it (validate.ts): its name, every pack and blob ID, each
 * pack's length and volume position, and each blob's place and lengths within its pack. A damaged
 * one is refused with the way out: `repair index` rebuilds the index from the packs.
 */
export async function readIndexFile(drive: Drive, name: string): Promise<IndexFile> {
  try {
    const fail = onDrive(drive.path, `index file ${name}`);
    if (!isId(name)) fail('is not named by an index file ID (64 lowercase hex digits)');
    const file = decodeJson(
      drive.key,
      await drive.readFile('index', name),
      `index file ${name} on drive ${drive.path}`,
      metadataAad(drive.config.version, 'index'),
    );
    checkIndexFile(file, packBounds(drive), fail);
    return file as IndexFile;
  } catch (err) {
    if (!(err instanceof CorruptionError)) throw err;
    throw new CorruptionError(
      `${err.message}. Backup, restore and prune need the whole index: rebuild it from the packs with ` +
        `\`baton repo repair index --drive ${drive.path}\``,
    );
  }
}

/** Reads index files of a drive (all live ones, or exactly `ids`). */
export async function readIndexFiles(drive: Drive, ids?: string[]): Promise<Map<string, IndexFile>> {
  const names = ids ?? (await drive.list('index'));
  const files = new Map<string, IndexFile>();
  for (const name of names) files.set(name, await readIndexFile(drive, name));
  if (!ids) {
    for (const f of [...files.values()]) for (const s of f.supersedes ?? []) files.delete(s);
  }
  return files;
}

const PENDING = 0xffffffff;
const TREE = 1;
const COMPRESSED = 2;
/** location words per entry: pack number (PENDING while its pack is being filled), offset, length, rawLength */
const META = 4;

// ES2024 resizable ArrayBuffer (Node 20+), not yet in the ES2022 lib this project compiles with
type Resizable = ArrayBuffer & { resize(byteLength: number): void };
const ResizableAB = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => Resizable;

/**
 * A pack as the index holds it: where it is, and its blobs as a range of index entries, made into
 * PackBlob objects only when asked for (`blobs`, and JSON.stringify through toJSON).
 */
class IndexedPack implements IndexPack {
  readonly id: string;
  readonly length: number;
  readonly volume?: number;
  readonly offset?: number;
  readonly #index: BlobIndex;
  readonly #first: number;
  readonly #end: number;

  constructor(index: BlobIndex, loc: PackLocation, first: number, end: number) {
    this.id = loc.id;
    this.length = loc.length;
    if (loc.volume !== undefined) this.volume = loc.volume;
    if (loc.offset !== undefined) this.offset = loc.offset;
    this.#index = index;
    this.#first = first;
    this.#end = end;
  }

  get blobs(): PackBlob[] {
    return this.#index.blobsIn(this.#first, this.#end);
  }

  toJSON(): PackLocation & { blobs: PackBlob[] } {
    const { id, length, volume, offset } = this;
    return volume === undefined ? { id, length, blobs: this.blobs } : { id, length, volume, offset, blobs: this.blobs };
  }
}

/**
 * Which pack holds each blob, over one or more drives, compact enough for millions of blobs: the
 * IDs live in a KnownIds table (shared with the worker threads, see known-ids.ts) and each entry's
 * pack number, offset, length, raw length and flags in typed arrays beside it, about 50 bytes per
 * blob in all. Location objects are made on demand by `get`.
 *
 * A backup also enters the blobs it has queued for a pack (`addPending`), so that it and the workers
 * know them before the pack is written; `has` and `get` only answer for blobs in written packs,
 * `knows` for both, and `settle` gives the queued blobs their place once their pack is written.
 */
export class BlobIndex {
  private readonly known = new KnownIds({ capacity: 0 });
  private metaBuffer = new ResizableAB(0, { maxByteLength: MAX_ENTRIES * META * 4 });
  private flagBuffer = new ResizableAB(0, { maxByteLength: MAX_ENTRIES });
  /** fixed-length views, remade when the buffers grow (length-tracking views are slower to index) */
  private meta = new Uint32Array(this.metaBuffer, 0, 0);
  private flags = new Uint8Array(this.flagBuffer, 0, 0);
  private readonly packList: { drive: Drive; pack: IndexPack }[] = [];
  private indexed = 0;
  readonly packs = new Map<string, { drive: Drive; pack: IndexPack }>();
  /** the index files `load` read (superseded ones too): all a prune may supersede and delete */
  loadedFiles: string[] = [];

  /** The ID table, for worker threads (see KnownIds). */
  get table(): KnownTable {
    return this.known.table;
  }

  /** `fn` hears of each bigger ID table, to hand to the workers. */
  onTableGrown(fn: (table: KnownTable) => void): void {
    this.known.onGrown = fn;
  }

  addPack(drive: Drive, pack: IndexPack): void {
    const first = this.known.size;
    const blobs = pack.blobs;
    for (const b of blobs) {
      if (!isId(b.id)) {
        throw new CorruptionError(`the index lists pack ${pack.id} with a blob named ${JSON.stringify(b.id)}`, pack.id);
      }
    }
    const no = this.packList.length;
    for (const b of blobs) {
      const distinct = this.known.distinct;
      this.place(this.entry(b.id), no, b);
      if (this.known.distinct > distinct) this.indexed++;
    }
    this.register(drive, pack, first, this.known.size);
  }

  addFile(drive: Drive, file: IndexFile): void {
    for (const p of file.packs) this.addPack(drive, p);
  }

  /**
   * Enters a blob queued for a pack not written yet, at `b.offset` in it; `knows` finds it from now
   * on. A pack's blobs must be queued one after another, so that it is again a range of entries.
   */
  addPending(id: string, b: Omit<PackBlob, 'id'>): number {
    const e = this.entry(id);
    this.place(e, PENDING, b);
    return e;
  }

  /** Gives the pending entries [first, end), queued for a pack just written, their pack. */
  settle(drive: Drive, loc: PackLocation, first: number, end: number): IndexPack {
    const no = this.packList.length;
    for (let e = first; e < end; e++) {
      if (this.meta[e * META] !== PENDING)
        throw new Error(`bug: blob ${this.idOf(e)} of pack ${loc.id} was not pending`);
      this.meta[e * META] = no;
    }
    this.indexed += end - first;
    return this.register(drive, loc, first, end);
  }

  has(id: string): boolean {
    return this.entryOf(id) >= 0;
  }

  /** True for blobs in written packs and blobs queued for one. */
  knows(id: string): boolean {
    return this.known.has(id);
  }

  get(id: string): BlobLocation | undefined {
    const e = this.entryOf(id);
    if (e < 0) return undefined;
    const { drive, pack } = this.packList[this.meta[e * META]];
    return { drive, pack, blob: this.blobAt(e, id) };
  }

  /** The drive and pack holding a blob (the same object every time), without making a location. */
  packOf(id: string): { drive: Drive; pack: IndexPack } | undefined {
    const e = this.entryOf(id);
    return e < 0 ? undefined : this.packList[this.meta[e * META]];
  }

  /** The entry number of a blob in a written pack, or -1; stays valid for the index's lifetime. */
  entryOf(id: string): number {
    const e = this.known.find(id);
    return e >= 0 && this.meta[e * META] !== PENDING ? e : -1;
  }

  /** entryOf for the 32 ID bytes at `offset` in `buf`, without making a hex string. */
  entryAt(buf: Buffer, offset: number): number {
    const e = this.known.findAt(buf, offset);
    return e >= 0 && this.meta[e * META] !== PENDING ? e : -1;
  }

  /** packOf for an entry of a written pack (from entryOf or entryAt). */
  packAt(e: number): { drive: Drive; pack: IndexPack } {
    return this.packList[this.meta[e * META]];
  }

  /** The ID of an entry. */
  idOf(e: number): string {
    return this.known.hex(e);
  }

  /** Writes the 32 bytes of an entry's ID into `buf` at `offset`. */
  copyIdOf(e: number, buf: Buffer, offset: number): void {
    this.known.copyId(e, buf, offset);
  }

  *ids(): IterableIterator<string> {
    for (let e = 0; e < this.known.size; e++) {
      if (this.meta[e * META] === PENDING) continue;
      const id = this.known.hex(e);
      if (this.known.find(id) === e) yield id;
    }
  }

  /** Distinct blobs in written packs. */
  get size(): number {
    return this.indexed;
  }

  /** PackBlob objects for entries [first, end) (a pack's blobs). */
  blobsIn(first: number, end: number): PackBlob[] {
    const out: PackBlob[] = [];
    for (let e = first; e < end; e++) out.push(this.blobAt(e, this.known.hex(e)));
    return out;
  }

  private blobAt(e: number, id: string): PackBlob {
    const m = e * META;
    const f = this.flags[e];
    return {
      id,
      type: f & TREE ? 'tree' : 'data',
      offset: this.meta[m + 1],
      length: this.meta[m + 2],
      rawLength: this.meta[m + 3],
      compressed: (f & COMPRESSED) !== 0,
    };
  }

  /** Adds an entry for `id` and makes room for its location. */
  private entry(id: string): number {
    const e = this.known.add(id);
    if (e >= this.flags.length) {
      // doubling; only pages written to take memory, and the buffers never move
      const n = Math.min(MAX_ENTRIES, Math.max(4096, e * 2));
      this.metaBuffer.resize(n * META * 4);
      this.flagBuffer.resize(n);
      this.meta = new Uint32Array(this.metaBuffer, 0, n * META);
      this.flags = new Uint8Array(this.flagBuffer, 0, n);
    }
    return e;
  }

  private place(e: number, packNo: number, b: Omit<PackBlob, 'id'>): void {
    const m = e * META;
    this.meta[m] = packNo;
    this.meta[m + 1] = b.offset;
    this.meta[m + 2] = b.length;
    this.meta[m + 3] = b.rawLength;
    this.flags[e] = (b.type === 'tree' ? TREE : 0) | (b.compressed ? COMPRESSED : 0);
  }

  private register(drive: Drive, loc: PackLocation, first: number, end: number): IndexPack {
    const pack = new IndexedPack(this, loc, first, end);
    const entry = { drive, pack };
    this.packList.push(entry);
    this.packs.set(pack.id, entry);
    return pack;
  }

  /**
   * The live index files of a drive, read one at a time (a file's JSON is let go once its blobs are
   * in), so loading takes little more memory than the index itself. A file superseded by another is
   * left out; in the rare case one was read before the file superseding it, the index is built
   * again without it.
   */
  static async load(drive: Drive): Promise<BlobIndex> {
    const names = await drive.list('index');
    const superseded = new Set<string>();
    let idx = new BlobIndex();
    for (const name of names) {
      const file = await readIndexFile(drive, name);
      for (const s of file.supersedes ?? []) superseded.add(s);
      idx.addFile(drive, file);
    }
    if (names.some((n) => superseded.has(n))) {
      idx = new BlobIndex();
      for (const name of names) if (!superseded.has(name)) idx.addFile(drive, await readIndexFile(drive, name));
    }
    idx.loadedFiles = names;
    return idx;
  }
}

/**
 * Reads, decrypts, decompresses and verifies one blob of `type` (every caller reads trees; file
 * contents go through the restore workers): on a version 5 drive a blob of the other type, or
 * another blob's bytes, fails authentication whatever the index says.
 */
export async function readBlob(loc: BlobLocation, type: BlobType = 'tree'): Promise<Buffer> {
  const stored = await loc.drive.packs.readPack(loc.pack, loc.blob.offset, loc.blob.length);
  const aad = blobAad(loc.drive.config.version, type, loc.blob.id);
  const where = `pack ${loc.pack.id} on drive ${loc.drive.path}`;
  return decodeBlob(loc.drive.key, stored, loc.blob, where, false, aad, loc.drive.ids.idKey);
}
