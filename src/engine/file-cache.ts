/**
 * Per-app file cache: the chunks a file had when it last had this path, size, mtime, ctime and
 * inode. A file whose lstat matches and whose chunks are all on the drive is not read again, so
 * unchanged re-runs are quick. Kept on local disk (not on the drive); losing it only costs time.
 *
 * Sized for millions of files. An entry is found by a 128-bit key, the SHA-256 of the path and
 * those stat fields (a changed file simply has another key), and holds its chunks as entry numbers
 * of the blob index (an entry with a chunk the index lacks is useless and is dropped on load):
 * about 30 bytes per file in memory. This run's entries are not kept in memory but streamed to a
 * temp file beside the cache, which replaces the cache when the backup commits.
 *
 * The device number is not in the key: the path already tells files apart within a run, and a
 * file system mounted again, or a new snapshot of it mounted at the same path, often gets another
 * device number while its unchanged files keep their inode, times and content (every file would be
 * read again). A different file at the same path with the same inode, size, mtime and ctime (to
 * the nanosecond; ctime cannot be set) is not a case the key needs to catch.
 *
 * File format (version 2): "BATONFC2", the number of entries (uint32 LE), the length of the drive
 * ID (uint32 LE), the drive ID (UTF-8); then per file: key (16 bytes), number of chunks (uint32
 * LE), the chunk IDs (32 bytes each).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { writeKeyFields, type EntryStats } from './entry-stats';
import { createHash, hash, randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { BlobIndex } from './index-file';
import { fsyncDir } from './fsutil';

const MAGIC = Buffer.from('BATONFC2');
const KEY = 16;
const RECORD = KEY + 4;
const ID = 32;
const OUT_BUFFER = 1024 * 1024;
const READ_CHUNK = 4 * 1024 * 1024;
/** temp files of backups that were killed; a live backup writes to its own at least every few minutes */
const STALE_TEMP_MS = 24 * 3600 * 1000;

// crypto.hash (one call, no Hash object) is in Node 20.12+; older 20.x fall back to createHash
const sha256: (data: Buffer) => Buffer =
  typeof hash === 'function'
    ? (data) => hash('sha256', data, 'buffer')
    : (data) => createHash('sha256').update(data).digest();

export function defaultCachePath(driveId: string, app: string | undefined): string {
  const base = process.env.BATON_CACHE_DIR ?? join(homedir(), '.cache', 'baton', 'files');
  return join(base, `${driveId}-${(app ?? 'default').replace(/[^A-Za-z0-9._-]/g, '_')}.cache`);
}

/** The loaded cache: open addressing over keys, content as blob index entries. */
class Entries {
  readonly keys: Int32Array;
  /** an index entry (>= 0), or -(offset + 1) into `multi`, which holds the count then the entries */
  readonly content: Int32Array;
  private readonly slots: Int32Array;
  private multi = new Int32Array(1024);
  private multiUsed = 1; // multi[0] = 0: the files without chunks
  count = 0;

  constructor(capacity: number) {
    this.keys = new Int32Array(capacity * 4);
    this.content = new Int32Array(capacity);
    let n = 1024;
    while (n < capacity * 2) n *= 2;
    this.slots = new Int32Array(n);
  }

  find(key: Buffer, ko: number): number {
    const mask = this.slots.length - 1;
    const k0 = key.readInt32LE(ko);
    for (let i = k0 & mask; ; i = (i + 1) & mask) {
      const s = this.slots[i];
      if (s === 0) return -1;
      const r = (s - 1) * 4;
      const k = this.keys;
      if (
        k[r] === k0 &&
        k[r + 1] === key.readInt32LE(ko + 4) &&
        k[r + 2] === key.readInt32LE(ko + 8) &&
        k[r + 3] === key.readInt32LE(ko + 12)
      ) {
        return s - 1;
      }
    }
  }

  add(key: Buffer, ko: number, entries: number[]): void {
    if (this.count >= this.content.length || this.find(key, ko) >= 0) return;
    const r = this.count++;
    for (let w = 0; w < 4; w++) this.keys[r * 4 + w] = key.readInt32LE(ko + w * 4);
    if (entries.length === 1) {
      this.content[r] = entries[0];
    } else if (entries.length === 0) {
      this.content[r] = -1;
    } else {
      if (this.multiUsed + entries.length + 1 > this.multi.length) {
        const bigger = new Int32Array(Math.max(this.multi.length * 2, this.multiUsed + entries.length + 1));
        bigger.set(this.multi);
        this.multi = bigger;
      }
      this.content[r] = -(this.multiUsed + 1);
      this.multi[this.multiUsed] = entries.length;
      this.multi.set(entries, this.multiUsed + 1);
      this.multiUsed += entries.length + 1;
    }
    const mask = this.slots.length - 1;
    let i = this.keys[r * 4] & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = r + 1;
  }

  /** The index entries of record `r`. */
  entries(r: number): number[] {
    const c = this.content[r];
    if (c >= 0) return [c];
    const at = -c - 1;
    return Array.from(this.multi.subarray(at + 1, at + 1 + this.multi[at]));
  }
}

export class FileCache {
  private fd: number | null = null;
  private readonly out = Buffer.allocUnsafe(OUT_BUFFER);
  private outUsed = 0;
  private records = 0;
  private keyInput = Buffer.allocUnsafe(4096);
  /** where this run's entries go until `save` */
  readonly tempPath: string;

  private constructor(
    private readonly path: string,
    driveId: string,
    private readonly index: BlobIndex,
    private readonly old: Entries,
  ) {
    this.tempPath = join(dirname(path), `${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
    try {
      mkdirSync(dirname(path), { recursive: true });
      removeStaleTemps(path);
      this.fd = openSync(this.tempPath, 'wx', 0o600);
      const id = Buffer.from(driveId);
      const head = Buffer.alloc(16 + id.length);
      MAGIC.copy(head);
      head.writeUInt32LE(id.length, 12);
      id.copy(head, 16);
      writeSync(this.fd, head);
    } catch {
      // an unwritable cache directory only means the next run reads every file
      this.discard();
    }
  }

  /** Loads the cache at `path` for `driveId`; chunks are looked up in `index`, which must be loaded. */
  static async load(path: string, driveId: string, index: BlobIndex): Promise<FileCache> {
    return new FileCache(path, driveId, index, (await readEntries(path, driveId, index)) ?? new Entries(0));
  }

  /** The key of a file: path and the stat fields that change when its content may have. */
  key(path: Buffer, st: EntryStats): Buffer {
    if (this.keyInput.length < path.length + 33) this.keyInput = Buffer.allocUnsafe(path.length * 2 + 33);
    const b = this.keyInput;
    path.copy(b, 0);
    b[path.length] = 0; // a path never holds a NUL
    writeKeyFields(st, b, path.length + 1);
    return sha256(b.subarray(0, path.length + 33)).subarray(0, KEY);
  }

  /**
   * The chunks of an unchanged file as entries of the blob index (each in a written pack, as loading
   * kept only such records), or null. `idsOf` gives their IDs.
   */
  lookup(key: Buffer): number[] | null {
    const r = this.old.find(key, 0);
    return r < 0 ? null : this.old.entries(r);
  }

  /** The chunk IDs of `entries` (from `lookup`). */
  idsOf(entries: number[]): string[] {
    return entries.map((e) => this.index.idOf(e));
  }

  /** Records a file read in this run, by its chunk IDs. */
  record(key: Buffer, content: string[]): void {
    this.emit(content.length, (buf, o) => {
      key.copy(buf, o, 0, KEY);
      for (let i = 0; i < content.length; i++) buf.write(content[i], o + RECORD + i * ID, ID, 'hex');
    });
  }

  /** Records a file found unchanged in this run, by its chunks' entries (from `lookup`). */
  recordEntries(key: Buffer, entries: number[]): void {
    this.emit(entries.length, (buf, o) => {
      key.copy(buf, o, 0, KEY);
      for (let i = 0; i < entries.length; i++) this.index.copyIdOf(entries[i], buf, o + RECORD + i * ID);
    });
  }

  /** Appends one record of `chunks` chunk IDs; `fill` writes its key and IDs at `o` in `buf`. */
  private emit(chunks: number, fill: (buf: Buffer, o: number) => void): void {
    if (this.fd === null) return;
    const n = RECORD + ID * chunks;
    if (this.outUsed + n > this.out.length) this.drain();
    // a file of many chunks gets a buffer of its own
    const big = n > this.out.length;
    const buf = big ? Buffer.allocUnsafe(n) : this.out;
    const o = big ? 0 : this.outUsed;
    fill(buf, o);
    buf.writeUInt32LE(chunks, o + KEY);
    if (big) writeSync(this.fd, buf);
    else this.outUsed += n;
    this.records++;
  }

  private drain(): void {
    if (this.fd !== null && this.outUsed > 0) writeSync(this.fd, this.out, 0, this.outUsed);
    this.outUsed = 0;
  }

  /**
   * Makes this run's entries the cache; with `keepOld` (a resumed run, which did not see the files
   * before its checkpoint) the older entries stay too. They come after this run's, and loading
   * keeps the first of equal keys (which hold equal chunks: the key covers path and stat).
   */
  async save(keepOld: boolean): Promise<void> {
    if (this.fd === null) return;
    try {
      if (keepOld) {
        for (let r = 0; r < this.old.count; r++) {
          const entries = this.old.entries(r);
          this.emit(entries.length, (buf, o) => {
            for (let w = 0; w < 4; w++) buf.writeInt32LE(this.old.keys[r * 4 + w], o + w * 4);
            entries.forEach((e, i) => this.index.copyIdOf(e, buf, o + RECORD + i * ID));
          });
        }
      }
      this.drain();
      const count = Buffer.alloc(4);
      count.writeUInt32LE(this.records);
      writeSync(this.fd, count, 0, 4, 8);
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
      await rename(this.tempPath, this.path);
      await fsyncDir(dirname(this.path));
    } finally {
      this.discard();
    }
  }

  /** Drops this run's entries (a failed backup); the old cache stays as it was. */
  discard(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
      unlinkSync(this.tempPath);
    } catch {
      // gone already
    }
    this.fd = null;
  }
}

/** The entries of a version 2 cache file for `driveId` whose chunks are all in `index`; null if none. */
async function readEntries(path: string, driveId: string, index: BlobIndex): Promise<Entries | null> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(16);
    await fh.read(head, 0, 16, 0);
    const idLen = head.readUInt32LE(12);
    const id = Buffer.alloc(Math.min(idLen, 1024));
    await fh.read(id, 0, id.length, 16);
    const count = head.readUInt32LE(8);
    if (!head.subarray(0, 8).equals(MAGIC) || id.toString() !== driveId || count * RECORD > size) return null;
    const entries = new Entries(count);
    let buf = Buffer.alloc(0);
    let pos = 16 + idLen;
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await fh.read(chunk, 0, READ_CHUNK, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      buf = buf.length > 0 ? Buffer.concat([buf, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let o = 0;
      for (;;) {
        if (buf.length - o < RECORD) break;
        const n = buf.readUInt32LE(o + KEY);
        if (buf.length - o < RECORD + n * ID) break;
        const es: number[] = [];
        for (let i = 0; i < n; i++) {
          const e = index.entryAt(buf, o + RECORD + i * ID);
          if (e < 0) break;
          es.push(e);
        }
        if (es.length === n) entries.add(buf, o, es);
        o += RECORD + n * ID;
      }
      buf = buf.subarray(o);
    }
    return entries;
  } catch {
    // an unreadable cache: start empty
    return null;
  } finally {
    await fh.close();
  }
}

function removeStaleTemps(path: string): void {
  const prefix = `${basename(path)}.tmp-`;
  const dir = dirname(path);
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    try {
      const p = join(dir, name);
      if (Date.now() - statSync(p).mtimeMs > STALE_TEMP_MS) unlinkSync(p);
    } catch {
      // removed by another backup meanwhile
    }
  }
}
