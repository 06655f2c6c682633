/**
 * Worker thread body for restore: writes file contents. For each chunk it takes the stored blob
 * from its pack file (kept open, LRU), decrypts, decompresses and verifies it (decodeBlob), and
 * pwrites the plaintext at its offset in the target file, skipping all-zero 64 KiB blocks so they
 * stay holes. Blobs of a job that lie back to back in a pack (a file's chunks, a directory's small
 * files: a backup writes them in that order) are read with one pread of up to SPAN bytes.
 * Plaintext never crosses threads: only job descriptions and results are posted.
 *
 * A whole file is created afresh (restore-open.ts: unlink + O_EXCL|O_NOFOLLOW), written, sized, given its owner, mode and mtime and closed
 * here, with synchronous calls (cheaper than a trip through libuv's pool per call). A part of a
 * big file is written into a descriptor the main thread opened and still owns.
 */
import { parentPort } from 'node:worker_threads';
import { closeSync, fchmodSync, fchownSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { decodeBlob } from './blob';
import { blobAad } from './config';
import { AbortedError, CorruptionError } from './errors';
import { futimens } from './file-times';
import { openNewFileSync } from './restore-open';
import type { FileTime } from './file-times';
import type { InitMessage } from './worker-start';

export interface PackRef {
  /** the file holding the pack (a pack file, or a tape volume) */
  file: string;
  id: string;
  /** names the pack in error messages */
  where: string;
}

/** One chunk: where its stored blob is, and where its plaintext goes in the target file. */
export interface ChunkRef {
  /** index into the job's packs */
  pack: number;
  /** index into the keys the worker was started with */
  key: number;
  /** position of the stored blob in the pack's file */
  offset: number;
  length: number;
  id: string;
  compressed: boolean;
  rawLength: number;
  /** position of the plaintext in the target file */
  at: number;
}

export interface FileMeta {
  mode: number;
  /** to the nanosecond */
  mtime: FileTime;
  /** set only when running as root; failures are ignored as for the other entries */
  owner?: { uid: number; gid: number };
}

/**
 * A whole file: opened by path (latin1, byte-exact; `/proc/self/fd/<its directory>/<name>`, so
 * nothing above the name is looked up again), written, sized, given meta and closed.
 */
export interface WholeFile {
  path: string;
  size: number;
  chunks: ChunkRef[];
  meta: FileMeta;
}

/** A run of chunks of a big file, written into a descriptor the main thread opened. */
export interface FilePart {
  fd: number;
  chunks: ChunkRef[];
}

export interface WriteJob {
  kind: 'write';
  packs: PackRef[];
  files: (WholeFile | FilePart)[];
}

/** Closes the cached pack descriptors and ends the thread. */
export interface CloseJob {
  kind: 'close';
}

export interface WriteError {
  code?: string;
  message: string;
  pack?: string;
  blob?: string;
}

/** One entry per file of the job, in order: null when it was written. */
export interface WriteResult {
  errors: (WriteError | null)[];
}

export interface RestoreWorkerData {
  keys: (Uint8Array | null)[];
  /** each key's drive's format version (5 binds blobs to their type and ID: blobAad) */
  versions: number[];
  /** each key's drive's blob ID key (format 6, encrypted), null for plain BLAKE3 IDs */
  idKeys: (Uint8Array | null)[];
  /** set to non-zero by the main thread to stop at the next chunk (cancellation, first failure) */
  abort: Int32Array;
}

const HOLE_BLOCK = 64 * 1024;
const ZERO = Buffer.alloc(HOLE_BLOCK);
const MAX_OPEN_PACKS = 16;
/** the most read from a pack at once (more only for one blob larger than this) */
const SPAN = 4 * 1024 * 1024;

// set by the init message (worker-start.ts)
let keys: (Buffer | null)[] = [];
let versions: number[] = [];
let idKeys: (Buffer | null)[] = [];
let abort: Int32Array<ArrayBufferLike> = new Int32Array(1);
const packFds = new Map<string, number>();
/** the stored bytes last read: pack file `span.file`, offsets [span.start, span.end) */
let stored = Buffer.allocUnsafeSlow(SPAN);
const span = { file: '', start: 0, end: 0 };

function packFd(pack: PackRef): number {
  const fd = packFds.get(pack.file);
  if (fd !== undefined) {
    packFds.delete(pack.file);
    packFds.set(pack.file, fd);
    return fd;
  }
  let opened: number;
  try {
    opened = openSync(pack.file, 'r');
  } catch (err) {
    const e = err as { code?: string; message: string };
    throw Object.assign(new Error(`${pack.where} cannot be read (${e.message}); run \`baton repo verify\``), {
      code: e.code,
    });
  }
  packFds.set(pack.file, opened);
  if (packFds.size > MAX_OPEN_PACKS) {
    const [oldest, old] = packFds.entries().next().value as [string, number];
    packFds.delete(oldest);
    closeSync(old);
  }
  return opened;
}

/**
 * For each chunk of the job (files in order, then their chunks), where the run of back-to-back
 * blobs it belongs to ends in its pack: the first chunk of a run reads the whole run.
 */
function runEnds(job: WriteJob): Map<ChunkRef, number> {
  const ends = new Map<ChunkRef, number>();
  let run: ChunkRef[] = [];
  let start = 0;
  let end = 0;
  const close = (): void => {
    for (const c of run) ends.set(c, end);
    run = [];
  };
  for (const f of job.files) {
    for (const c of f.chunks) {
      const follows = run.length > 0 && c.pack === run[0].pack && c.offset === end;
      if (!follows || c.offset + c.length - start > SPAN) {
        close();
        start = c.offset;
      }
      run.push(c);
      end = c.offset + c.length;
    }
  }
  close();
  return ends;
}

/** The stored blob of `c`, read with the rest of its run unless the last read holds it already. */
function storedBlob(c: ChunkRef, pack: PackRef, runEnd: number): Buffer {
  if (span.file !== pack.file || c.offset < span.start || c.offset + c.length > span.end) {
    const want = Math.max(runEnd, c.offset + c.length) - c.offset;
    if (stored.length < want) stored = Buffer.allocUnsafeSlow(want);
    const fd = packFd(pack);
    let got = 0;
    while (got < want) {
      const n = readSync(fd, stored, got, want - got, c.offset + got);
      if (n === 0) break;
      got += n;
    }
    Object.assign(span, { file: pack.file, start: c.offset, end: c.offset + got });
    if (got < c.length) {
      throw new CorruptionError(`blob ${c.id} in ${pack.where} is cut short; the pack is damaged`, pack.id, c.id);
    }
  }
  return stored.subarray(c.offset - span.start, c.offset - span.start + c.length);
}

/** Reads and verifies one chunk; the result may share memory with `stored` until the next read. */
function readChunk(c: ChunkRef, packs: PackRef[], runEnd: number): Buffer {
  const pack = packs[c.pack];
  const blob = storedBlob(c, pack, runEnd);
  try {
    // file contents: a data blob under this chunk's ID, whatever the index says
    return decodeBlob(keys[c.key], blob, c, pack.where, true, blobAad(versions[c.key], 'data', c.id), idKeys[c.key]);
  } catch (err) {
    // name the pack by its ID (decodeBlob only knows its description)
    if (err instanceof CorruptionError) throw new CorruptionError(err.message, pack.id, c.id);
    throw err;
  }
}

function writeAll(fd: number, b: Buffer, from: number, to: number, pos: number): void {
  while (from < to) {
    const n = writeSync(fd, b, from, to - from, pos);
    from += n;
    pos += n;
  }
}

function isZero(b: Buffer, from: number, to: number): boolean {
  // most blocks of real data differ from zero in their first byte: skip the compare for them
  return b[from] === 0 && b.subarray(from, to).equals(ZERO.subarray(0, to - from));
}

/** Writes the chunks' non-zero 64 KiB blocks; returns the end of the last byte written. */
function writeChunks(fd: number, chunks: ChunkRef[], packs: PackRef[], ends: Map<ChunkRef, number>): number {
  let end = 0;
  for (const c of chunks) {
    if (Atomics.load(abort, 0) !== 0) throw new AbortedError('restore');
    const plain = readChunk(c, packs, ends.get(c) ?? 0);
    const blockEnd = (o: number): number => Math.min(plain.length, o + HOLE_BLOCK);
    for (let o = 0; o < plain.length;) {
      if (isZero(plain, o, blockEnd(o))) {
        o = blockEnd(o);
        continue;
      }
      // one write for a run of non-zero blocks
      let to = blockEnd(o);
      while (to < plain.length && !isZero(plain, to, blockEnd(to))) to = blockEnd(to);
      writeAll(fd, plain, o, to, c.at + o);
      end = Math.max(end, c.at + to);
      o = to;
    }
  }
  return end;
}

function writeWhole(f: WholeFile, packs: PackRef[], ends: Map<ChunkRef, number>): void {
  if (Atomics.load(abort, 0) !== 0) throw new AbortedError('restore');
  const fd = openNewFileSync(Buffer.from(f.path, 'latin1'));
  try {
    const end = writeChunks(fd, f.chunks, packs, ends);
    if (end < f.size) ftruncateSync(fd, f.size); // trailing hole
    // metadata through the open file: no path lookups, and hard links share it
    if (f.meta.owner) {
      try {
        fchownSync(fd, f.meta.owner.uid, f.meta.owner.gid);
      } catch {
        // as for every entry: owners that cannot be set are left
      }
    }
    fchmodSync(fd, f.meta.mode);
    futimens(fd, f.meta.mtime);
  } finally {
    closeSync(fd);
  }
}

function describe(err: unknown): WriteError {
  const e = err as { code?: string; message?: string; pack?: string; blob?: string };
  return { code: e.code, message: String(e.message), pack: e.pack, blob: e.blob };
}

function run(job: WriteJob): WriteResult {
  const ends = runEnds(job);
  const errors = job.files.map((f) => {
    try {
      if ('fd' in f) writeChunks(f.fd, f.chunks, job.packs, ends);
      else writeWhole(f, job.packs, ends);
      return null;
    } catch (err) {
      return describe(err);
    }
  });
  return { errors };
}

parentPort?.on('message', (job: InitMessage<RestoreWorkerData> | WriteJob | CloseJob) => {
  if ('init' in job) {
    keys = job.init.keys.map((k) => (k ? Buffer.from(k) : null));
    versions = job.init.versions;
    idKeys = job.init.idKeys.map((k) => (k ? Buffer.from(k) : null));
    abort = job.init.abort;
    return;
  }
  if (job.kind === 'close') {
    span.file = '';
    for (const fd of packFds.values()) closeSync(fd);
    packFds.clear();
    process.exit(0);
  }
  parentPort?.postMessage(run(job));
});
