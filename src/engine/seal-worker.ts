/**
 * Worker thread body, two jobs: `cut` reads a file from a chunk boundary and finds the next chunk
 * boundaries (FastCDC) up to a target size; `seal` reads given chunks again (from the page cache),
 * hashes, compresses and encrypts them and returns the sealed blobs in one transferred buffer.
 * Cutting is sequential per file, sealing runs on every worker; see file-reader.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { findCut } from './chunker';
import { decodeBlob, encodeBlob } from './blob';

/** Paths travel as latin1 strings (byte-exact, and cheap to post: a Buffer would clone its pool). */
export interface CutJob {
  kind: 'cut';
  path: string;
  offset: number;
  /** stop at the first boundary at or after this many bytes */
  target: number;
}

export interface SealJob {
  kind: 'seal';
  path: string;
  offset: number;
  lengths: number[];
}

/** Cut and seal in one job, reading once: for small files (up to `target` bytes). */
export interface WholeJob {
  kind: 'whole';
  path: string;
  offset: number;
  target: number;
}

/** Decrypt, decompress and verify one stored blob (restore). */
export interface DecodeJob {
  kind: 'decode';
  key: Uint8Array | null;
  data: Uint8Array;
  ref: { id: string; compressed: boolean; rawLength: number };
  where: string;
}

export interface DecodeResult {
  plain: Uint8Array;
  error?: JobError;
}

/** Several small whole-file jobs in one message (posting a message costs more than sealing a tiny file). */
export interface BatchJob {
  kind: 'batch';
  jobs: WholeJob[];
}

export type Job = CutJob | SealJob | WholeJob | DecodeJob | BatchJob;

export interface JobError {
  code?: string;
  message: string;
}

export interface CutResult {
  lengths: number[];
  nextOffset: number;
  eof: boolean;
  error?: JobError;
}

export interface SealedChunk {
  id: string;
  rawLength: number;
  compressed: boolean;
  /** position of the sealed blob in `data` */
  start: number;
  length: number;
}

export interface SealResult {
  offset: number;
  chunks: SealedChunk[];
  data: Uint8Array;
  error?: JobError;
  /** whole jobs only: where the file continues, and its fstat after reading */
  nextOffset?: number;
  eof?: boolean;
  stat?: { size: string; mtimeNs: string; ctimeNs: string };
}

const key: Buffer | null = (workerData as { key: Uint8Array | null } | null)?.key
  ? Buffer.from((workerData as { key: Uint8Array }).key)
  : null;
const STEP = 4 * 1024 * 1024;
let buf = Buffer.allocUnsafeSlow(STEP);

function ensure(n: number): void {
  if (buf.length >= n) return;
  const next = Buffer.allocUnsafeSlow(Math.max(n, buf.length * 2));
  buf.copy(next);
  buf = next;
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

function cutFd(fd: number, job: CutJob | WholeJob): CutResult {
  {
    const lengths: number[] = [];
    let filled = 0;
    let eof = false;
    let pos = 0;
    for (;;) {
      if (pos >= job.target && lengths.length > 0) break;
      if (eof && pos >= filled) break;
      const len = findCut(buf, pos, filled, eof);
      if (len > 0) {
        lengths.push(len);
        pos += len;
        continue;
      }
      const got = readAt(fd, filled, STEP, job.offset + filled);
      filled += got;
      if (got < STEP) eof = true;
    }
    return { lengths, nextOffset: job.offset + pos, eof: eof && pos >= filled };
  }
}

export function cut(job: CutJob): CutResult {
  const fd = openSync(Buffer.from(job.path, 'latin1'), 'r');
  try {
    return cutFd(fd, job);
  } finally {
    closeSync(fd);
  }
}

/** Seals chunks already in buf[0, sum(lengths)). */
function sealBuffered(offset: number, lengths: number[]): SealResult {
  const sealed: Buffer[] = [];
  const chunks: SealedChunk[] = [];
  let pos = 0;
  let size = 0;
  for (const len of lengths) {
    const blob = encodeBlob(key, buf.subarray(pos, pos + len));
    chunks.push({ id: blob.id, rawLength: len, compressed: blob.compressed, start: size, length: blob.data.length });
    sealed.push(blob.data);
    size += blob.data.length;
    pos += len;
  }
  const data = Buffer.allocUnsafeSlow(size);
  let o = 0;
  for (const s of sealed) {
    s.copy(data, o);
    o += s.length;
  }
  return { offset, chunks, data };
}

export function whole(job: WholeJob): SealResult {
  const fd = openSync(Buffer.from(job.path, 'latin1'), 'r');
  try {
    const c = cutFd(fd, job);
    const res = sealBuffered(job.offset, c.lengths);
    const st = fstatSync(fd, { bigint: true });
    res.nextOffset = c.nextOffset;
    res.eof = c.eof;
    res.stat = { size: st.size.toString(), mtimeNs: st.mtimeNs.toString(), ctimeNs: st.ctimeNs.toString() };
    return res;
  } finally {
    closeSync(fd);
  }
}

export function seal(job: SealJob): SealResult {
  const total = job.lengths.reduce((a, b) => a + b, 0);
  const fd = openSync(Buffer.from(job.path, 'latin1'), 'r');
  let got: number;
  try {
    got = readAt(fd, 0, total, job.offset);
  } finally {
    closeSync(fd);
  }
  if (got < total) {
    return {
      offset: job.offset,
      chunks: [],
      data: new Uint8Array(0),
      error: { code: 'ESHRANK', message: 'file shrank while it was read; it was not backed up' },
    };
  }
  return sealBuffered(job.offset, job.lengths);
}

function describe(err: unknown): JobError {
  const e = err as { code?: string; message?: string };
  return { code: e.code, message: String(e.message) };
}

parentPort?.on('message', (msg: { seq: number; job: Job }) => {
  const { seq, job } = msg;
  if (job.kind === 'batch') {
    const results: SealResult[] = job.jobs.map((j) => {
      try {
        return whole(j);
      } catch (err) {
        return { offset: j.offset, chunks: [], data: new Uint8Array(0), error: describe(err) };
      }
    });
    // one buffer for the whole batch: transferring many small buffers costs more than copying them
    const all = Buffer.allocUnsafeSlow(results.reduce((a, r) => a + r.data.byteLength, 0));
    const starts: number[] = [];
    let at = 0;
    for (const r of results) {
      starts.push(at);
      all.set(r.data, at);
      at += r.data.byteLength;
      r.data = new Uint8Array(0);
    }
    parentPort?.postMessage({ seq, res: { results, data: all, starts } }, [all.buffer]);
  } else if (job.kind === 'decode') {
    let res: DecodeResult;
    try {
      const plain = decodeBlob(job.key ? Buffer.from(job.key) : null, job.data, job.ref, job.where);
      res = { plain: plain.byteOffset === 0 && plain.buffer.byteLength === plain.length ? plain : Buffer.from(plain) };
    } catch (err) {
      res = { plain: new Uint8Array(0), error: describe(err) };
    }
    const transfer = res.plain.byteLength > 0 && res.plain.buffer.byteLength === res.plain.byteLength;
    parentPort?.postMessage({ seq, res }, transfer ? [res.plain.buffer as ArrayBuffer] : []);
  } else if (job.kind === 'cut') {
    let res: CutResult;
    try {
      res = cut(job);
    } catch (err) {
      res = { lengths: [], nextOffset: job.offset, eof: false, error: describe(err) };
    }
    parentPort?.postMessage({ seq, res });
  } else {
    let res: SealResult;
    try {
      res = job.kind === 'seal' ? seal(job) : whole(job);
    } catch (err) {
      res = { offset: job.offset, chunks: [], data: new Uint8Array(0), error: describe(err) };
    }
    parentPort?.postMessage({ seq, res }, [res.data.buffer as ArrayBuffer]);
  }
});
