/**
 * Worker thread body. The main job is `segment`: read a file from a chunk boundary (once), find the
 * chunk boundaries (FastCDC) up to a target size, post where the next segment starts as soon as
 * that is known (so another worker can start on it), then hash every chunk and compress and
 * encrypt the ones the backup does not have yet (the shared KnownIds table), returning the sealed
 * blobs in one transferred buffer. Small files travel many to a message (`batch`); a `hash` job
 * names a finished pack. (Restore has its own workers: restore-worker.ts.)
 */
import { parentPort } from 'node:worker_threads';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { ChunkBuffer, GEAR } from './chunker';
import { ZSTD_LEVEL, compressBlob, sealedLength } from './blob';
import { sealInto } from './crypto';
import { blobAad } from './config';
import { blobId, contentId } from './hash';
import { KnownIds } from './known-ids';
import type { KnownTable } from './known-ids';
import { RESULT_BUFFER, type InitMessage } from './worker-start';
import { packResults, unpackJobs } from './batch-wire';
import type { PackedJobs, PackedResults } from './batch-wire';
import type { JobError, SealResult, SealedChunk, SegmentCut, SegmentJob } from './seal-job';

export type { JobError, SealResult, SealedChunk, SegmentCut, SegmentJob } from './seal-job';

/**
 * Several small-file segment jobs in one message (posting a message costs more than sealing a tiny
 * file), packed (batch-wire.ts); the reply is packed too.
 */
export interface BatchJob extends PackedJobs {
  kind: 'batch';
}

/**
 * The content ID of `length` bytes of shared memory from its start: a pack's ID, hashed here so
 * that the main thread, which fills the packs, does not spend its time on it (pack-writer.ts).
 */
export interface HashJob {
  kind: 'hash';
  memory: SharedArrayBuffer;
  length: number;
}

export type Job = SegmentJob | BatchJob | HashJob;

/**
 * What the main thread posts: first what the worker works with (worker-start.ts), then jobs (with,
 * for segment jobs, a spent shared result buffer to fill again), or a bigger KnownIds table.
 */
export type WorkerMessage =
  | InitMessage<WorkerInit>
  | { seq: number; job: Job; out?: SharedArrayBuffer }
  | { known: KnownTable }
  | { close: true };
/** What a worker posts: an early cut, or a job's result. */
export type WorkerReply = { seq: number; cut: SegmentCut } | { seq: number; res: unknown };

/**
 * What a worker works with: the drive's key, format version (5 binds each blob to its type and ID)
 * and compression level, and the KnownIds table.
 */
export interface WorkerInit {
  key: Uint8Array | null;
  version: number;
  level: number;
  known: KnownTable | null;
  /** the drive's blob ID key and gear table (format 6, encrypted: content-key.ts); null: unkeyed */
  idKey: Uint8Array | null;
  gear: Uint32Array | null;
}

// set by the init message (left so when the functions run in the main thread, as in tests)
let key: Buffer | null = null;
let version = 0;
let level = ZSTD_LEVEL;
let known: KnownIds | null = null;
let idKey: Buffer | null = null;

const FIRST_READ = 8 * 1024 * 1024;
const NEXT_READ = 1024 * 1024;
/** where files are read and cut (in the chunker's memory) */
const chunkBuffer = new ChunkBuffer(FIRST_READ + NEXT_READ);
let buf = chunkBuffer.bytes;

function ensure(n: number): void {
  if (buf.length >= n) return;
  chunkBuffer.reserve(Math.max(n, buf.length * 2));
  buf = chunkBuffer.bytes;
}

/** Reads into buf[at, at + n) from `pos`; returns bytes read (less only at end of file). */
function readAt(fd: number, at: number, n: number, pos: number): number {
  ensure(at + n);
  let got = 0;
  while (got < n) {
    const r = readSync(fd, buf, at + got, n - got, pos + got);
    if (r === 0) break;
    got += r;
  }
  return got;
}

/**
 * Reads from job.offset and cuts chunks until `target` bytes are covered or the file ends; the
 * chunks are left in buf[0, sum(lengths)). Reads past the last boundary at most NEXT_READ bytes.
 */
function cutFd(fd: number, job: SegmentJob): { lengths: number[]; cut: SegmentCut } {
  const lengths: number[] = [];
  let filled = 0;
  let eof = false;
  let pos = 0;
  for (;;) {
    if (pos >= job.target && lengths.length > 0) break;
    if (eof && pos >= filled) break;
    const len = chunkBuffer.findCut(pos, filled, eof);
    if (len > 0) {
      lengths.push(len);
      pos += len;
      continue;
    }
    const want = filled === 0 ? Math.max(job.target, NEXT_READ) : NEXT_READ;
    const got = readAt(fd, filled, want, job.offset + filled);
    filled += got;
    if (got < want) eof = true;
  }
  return { lengths, cut: { nextOffset: job.offset + pos, eof: eof && pos >= filled } };
}

/**
 * A buffer for `size` result bytes: `out` (a spent one, see WorkerPool.recycle) when it is big
 * enough, else a new one. Big results go in shared memory of at least RESULT_BUFFER bytes, posted
 * back and forth and reused, never transferred: V8 counts an ArrayBuffer transferred into a thread
 * as external memory of that thread until a collection sweeps its detached husk, so 12 MiB results
 * arriving at 700 MiB/s started a full collection on the main thread every 40 to 50 ms (measured,
 * `--trace-incremental-marking`: 28 markings started in a 1 GiB first backup). Shared memory is not
 * counted per thread.
 */
function resultBuffer(size: number, out?: SharedArrayBuffer): Buffer {
  if (out && out.byteLength >= size) return Buffer.from(out, 0, size);
  if (size < 1024 * 1024) return Buffer.allocUnsafeSlow(size);
  return Buffer.from(new SharedArrayBuffer(Math.max(size, RESULT_BUFFER)), 0, size);
}

/**
 * Seals chunks already in buf[0, sum(lengths)) straight into the result buffer; chunks in KnownIds
 * are only hashed. The buffer is sized for every chunk stored raw (compression only ever shrinks
 * a payload); the result is the part filled.
 */
function sealBuffered(offset: number, lengths: number[], out?: SharedArrayBuffer): SealResult {
  const chunks: SealedChunk[] = [];
  const data = resultBuffer(
    lengths.reduce((n, len) => n + sealedLength(key, len), 0),
    out,
  );
  let pos = 0;
  let size = 0;
  for (const len of lengths) {
    const plain = buf.subarray(pos, pos + len);
    pos += len;
    const id = blobId(idKey, plain);
    if (known?.has(id)) {
      chunks.push({ id, rawLength: len, compressed: false, start: size, length: 0, known: true });
      continue;
    }
    const { payload, compressed } = compressBlob(plain, level);
    const length = sealedLength(key, payload.length);
    sealInto(key, payload, data.subarray(size, size + length), blobAad(version, 'data', id));
    chunks.push({ id, rawLength: len, compressed, start: size, length });
    size += length;
  }
  return { offset, chunks, data: data.subarray(0, size) };
}

/**
 * Source files are opened as they were listed: O_NOFOLLOW refuses a symlink put in the file's place
 * (ELOOP), O_NONBLOCK keeps a fifo put there from blocking the open (and its reads), and the fstat
 * of what was opened must be a regular file with the listed device and inode. (Regular files
 * ignore O_NONBLOCK.)
 */
const OPEN_SOURCE = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function openSource(job: SegmentJob): number {
  try {
    return openSync(Buffer.from(job.path, 'latin1'), OPEN_SOURCE);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ELOOP') throw err;
    throw replaced('a symlink');
  }
}

/** Throws unless `st` (an fstat) is the file the walk listed. */
function checkListed(job: SegmentJob, st: BigIntStats): void {
  // the type too: a fifo made right after the file was deleted may get its inode number
  if (job.ino === undefined || (st.ino === job.ino && st.dev === job.dev && st.isFile())) return;
  throw replaced(st.isFIFO() ? 'a fifo' : st.isDirectory() ? 'a directory' : 'another file');
}

function replaced(by: string): Error & { code: string } {
  const message = `replaced by ${by} after it was listed; not stored`;
  return Object.assign(new Error(message), { code: 'EREPLACED' });
}

/**
 * Reads and cuts the job's file, checked against the walk's listing before anything read leaves
 * this function. A whole-file job (`stat`) checks the one fstat it takes after reading (a small
 * file costs no more syscalls than before); a segment of a larger file checks before reading. What
 * else could be opened reads nothing harmful with O_NONBLOCK (a fifo: EOF or EAGAIN; a directory:
 * EISDIR), so a failed read is checked too, to say why.
 */
function cutListed(fd: number, job: SegmentJob): { lengths: number[]; cut: SegmentCut; stat?: SealResult['stat'] } {
  if (!job.stat) checkListed(job, fstatSync(fd, { bigint: true }));
  let cut: { lengths: number[]; cut: SegmentCut };
  try {
    cut = cutFd(fd, job);
  } catch (err) {
    checkListed(job, fstatSync(fd, { bigint: true }));
    throw err;
  }
  if (!job.stat) return cut;
  const st = fstatSync(fd, { bigint: true });
  checkListed(job, st);
  return { ...cut, stat: { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs } };
}

export function segment(job: SegmentJob, onCut?: (cut: SegmentCut) => void, out?: SharedArrayBuffer): SealResult {
  const fd = openSource(job);
  try {
    const { lengths, cut, stat } = cutListed(fd, job);
    onCut?.(cut);
    const res = sealBuffered(job.offset, lengths, out);
    res.nextOffset = cut.nextOffset;
    res.eof = cut.eof;
    if (stat) res.stat = stat;
    return res;
  } finally {
    closeSync(fd);
  }
}

function describe(err: unknown): JobError {
  const e = err as { code?: string; message?: string };
  return { code: e.code, message: String(e.message) };
}

function failed(offset: number, err: unknown): SealResult {
  return { offset, chunks: [], data: new Uint8Array(0), error: describe(err) };
}

function runBatch(job: BatchJob): PackedResults {
  const results = unpackJobs(job).map((j) => {
    try {
      return segment(j);
    } catch (err) {
      return failed(j.offset, err);
    }
  });
  return packResults(results);
}

function reply(msg: WorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

parentPort?.on('message', (msg: WorkerMessage) => {
  if ('init' in msg) {
    key = msg.init.key ? Buffer.from(msg.init.key) : null;
    version = msg.init.version;
    level = msg.init.level;
    known = msg.init.known ? new KnownIds({ table: msg.init.known }) : null;
    idKey = msg.init.idKey ? Buffer.from(msg.init.idKey) : null;
    chunkBuffer.setGear(msg.init.gear ?? GEAR);
    return;
  }
  if ('known' in msg) {
    known = new KnownIds({ table: msg.known });
    return;
  }
  if ('close' in msg) {
    // the jobs posted before this one are answered: the thread ends by itself, never terminated
    // (worker-pool.ts close)
    parentPort?.close();
    return;
  }
  const { seq, job, out } = msg;
  if (job.kind === 'hash') {
    reply({ seq, res: contentId(Buffer.from(job.memory, 0, job.length)) });
  } else if (job.kind === 'batch') {
    const res = runBatch(job);
    reply({ seq, res }, [res.data.buffer as ArrayBuffer]);
  } else {
    let res: SealResult;
    try {
      res = segment(job, (cut) => reply({ seq, cut }), out);
    } catch (err) {
      res = failed(job.offset, err);
    }
    reply({ seq, res }, res.data.buffer instanceof ArrayBuffer ? [res.data.buffer] : []);
  }
});
