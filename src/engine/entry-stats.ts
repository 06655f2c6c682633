/**
 * The walk's lstat of a directory's entries, a slice at a time (native/aes-gcm/stat_batch.c): the
 * same fields as Node's `lstatSync(path, { bigint: true })`, read from one BigInt64Array when asked
 * for, and whether each entry has extended attributes. Per tiny file, building Node's BigIntStats
 * (every field a BigInt, the *Ms fields divided out) and asking the xattr library for an empty list
 * (the path made a string) were main-thread time the walk spent on fields nobody read.
 */
import { constants as fs, type BigIntStats } from 'node:fs';
import { constants, endianness } from 'node:os';
import { loadNative } from './native';

/** The fields of an entry's lstat the engine reads; Node's BigIntStats has them too. */
export type EntryStats = Pick<
  BigIntStats,
  | 'dev'
  | 'ino'
  | 'mode'
  | 'nlink'
  | 'uid'
  | 'gid'
  | 'rdev'
  | 'size'
  | 'blocks'
  | 'blksize'
  | 'atimeNs'
  | 'mtimeNs'
  | 'ctimeNs'
  | 'isFile'
  | 'isDirectory'
  | 'isSymbolicLink'
  | 'isFIFO'
  | 'isCharacterDevice'
  | 'isBlockDevice'
  | 'isSocket'
>;

interface StatBatchModule {
  statBatch(paths: Buffer[], out: BigInt64Array): void;
}

/** int64 fields per entry in statBatch's output (stat_batch.c) */
const FIELDS = 16;
const ERRNO = 0;
const XATTR_LIST = 14;
/** Each stat field's place in an entry's row (stat_batch.c). */
const F = {
  dev: 1,
  ino: 2,
  mode: 3,
  nlink: 4,
  uid: 5,
  gid: 6,
  rdev: 7,
  size: 8,
  blocks: 9,
  blksize: 10,
  atimeNs: 11,
  mtimeNs: 12,
  ctimeNs: 13,
} as const;

let native: StatBatchModule | null = null;

const S_IFMT = 0o170000;
/** Which 32-bit half of an int64 holds its low bits, in an Int32Array over the same memory. */
const LOW_WORD = endianness() === 'LE' ? 0 : 1;
const { S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK } = fs;

/**
 * One entry's row of a batch. The BigInt fields are made when read; the type tests read the mode's
 * low 32 bits through an Int32Array on the same memory, making none.
 */
class PackedStats implements EntryStats {
  constructor(
    private readonly a: BigInt64Array,
    private readonly words: Int32Array,
    private readonly at: number,
  ) {}
  get dev(): bigint {
    return this.a[this.at + F.dev];
  }
  get ino(): bigint {
    return this.a[this.at + F.ino];
  }
  get mode(): bigint {
    return this.a[this.at + F.mode];
  }
  get nlink(): bigint {
    return this.a[this.at + F.nlink];
  }
  get uid(): bigint {
    return this.a[this.at + F.uid];
  }
  get gid(): bigint {
    return this.a[this.at + F.gid];
  }
  get rdev(): bigint {
    return this.a[this.at + F.rdev];
  }
  get size(): bigint {
    return this.a[this.at + F.size];
  }
  get blocks(): bigint {
    return this.a[this.at + F.blocks];
  }
  get blksize(): bigint {
    return this.a[this.at + F.blksize];
  }
  get atimeNs(): bigint {
    return this.a[this.at + F.atimeNs];
  }
  get mtimeNs(): bigint {
    return this.a[this.at + F.mtimeNs];
  }
  get ctimeNs(): bigint {
    return this.a[this.at + F.ctimeNs];
  }
  private type(): number {
    return this.words[(this.at + F.mode) * 2 + LOW_WORD] & S_IFMT;
  }
  isFile(): boolean {
    return this.type() === S_IFREG;
  }
  isDirectory(): boolean {
    return this.type() === S_IFDIR;
  }
  isSymbolicLink(): boolean {
    return this.type() === S_IFLNK;
  }
  isFIFO(): boolean {
    return this.type() === S_IFIFO;
  }
  isCharacterDevice(): boolean {
    return this.type() === S_IFCHR;
  }
  isBlockDevice(): boolean {
    return this.type() === S_IFBLK;
  }
  isSocket(): boolean {
    return this.type() === S_IFSOCK;
  }
  /** Field `f`'s 8 bytes, little-endian, at `o` in `buf`: the int64 as stored, no BigInt made. */
  writeField(f: number, buf: Buffer, o: number): void {
    buf.writeInt32LE(this.words[(this.at + f) * 2 + LOW_WORD], o);
    buf.writeInt32LE(this.words[(this.at + f) * 2 + 1 - LOW_WORD], o + 4);
  }
}

/**
 * Size, mtime and ctime (ns) and inode, each 64 bits little-endian, at `offset` in `buf` (32 bytes:
 * the stat part of a file cache key, file-cache.ts). A batch's entry copies them from its row; any
 * other stats write them through their BigInts, with the same bytes.
 */
export function writeKeyFields(st: EntryStats, buf: Buffer, offset: number): void {
  if (st instanceof PackedStats) {
    st.writeField(F.size, buf, offset);
    st.writeField(F.mtimeNs, buf, offset + 8);
    st.writeField(F.ctimeNs, buf, offset + 16);
    st.writeField(F.ino, buf, offset + 24);
    return;
  }
  buf.writeBigUInt64LE(BigInt.asUintN(64, st.size), offset);
  buf.writeBigInt64LE(BigInt.asIntN(64, st.mtimeNs), offset + 8);
  buf.writeBigInt64LE(BigInt.asIntN(64, st.ctimeNs), offset + 16);
  buf.writeBigUInt64LE(BigInt.asUintN(64, st.ino), offset + 24);
}

/** What statBatch found of one entry. */
export type BatchStat =
  /** the lstat failed with this errno: ask Node's lstat for its error */
  | { errno: number }
  /** xattrs: 'none' (no attributes, or none possible here), 'some' (read them), 'error' (say why) */
  | { st: EntryStats; xattrs: 'none' | 'some' | 'error' };

const NO_XATTRS = new Set([constants.errno.ENOTSUP, constants.errno.EOPNOTSUPP, constants.errno.ENOENT]);

/** lstat of each of `paths` (and whether it has extended attributes), in one native call. */
export function statBatch(paths: Buffer[]): BatchStat[] {
  const a = new BigInt64Array(paths.length * FIELDS);
  const words = new Int32Array(a.buffer);
  (native ??= loadNative<StatBatchModule>('stat_batch', 'stat-batch')).statBatch(paths, a);
  const out: BatchStat[] = new Array<BatchStat>(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const at = i * FIELDS;
    const errno = Number(a[at + ERRNO]);
    if (errno !== 0) {
      out[i] = { errno };
      continue;
    }
    const list = a[at + XATTR_LIST];
    out[i] = {
      st: new PackedStats(a, words, at),
      xattrs: list === 0n || (list < 0n && NO_XATTRS.has(-Number(list))) ? 'none' : list > 0n ? 'some' : 'error',
    };
  }
  return out;
}
