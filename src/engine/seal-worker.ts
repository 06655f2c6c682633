/**
 * Worker thread body: reads a file from a chunk boundary, cuts chunks (FastCDC), hashes,
 * compresses and encrypts them, and returns the sealed blobs in one transferred buffer.
 * Runs off the caller's event loop; see worker-pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { closeSync, openSync, readSync } from 'node:fs';
import { MAX_CHUNK, findCut } from './chunker';
import { encodeBlob } from './blob';

export interface ChunkJob {
  seq: number;
  path: Uint8Array;
  offset: number;
  /** stop after this many plaintext bytes (at the next chunk boundary) */
  target: number;
}

export interface ChunkOut {
  id: string;
  rawLength: number;
  compressed: boolean;
  /** position of the sealed blob in `data` */
  start: number;
  length: number;
}

export interface ChunkResult {
  seq: number;
  chunks: ChunkOut[];
  data: Uint8Array;
  nextOffset: number;
  eof: boolean;
  error?: { code?: string; message: string };
}

const key: Buffer | null = (workerData as { key: Uint8Array | null }).key
  ? Buffer.from((workerData as { key: Uint8Array }).key)
  : null;
let buf = Buffer.allocUnsafeSlow(0);

function run(job: ChunkJob): ChunkResult {
  const want = job.target + MAX_CHUNK;
  if (buf.length < want) buf = Buffer.allocUnsafeSlow(want);
  const fd = openSync(Buffer.from(job.path), 'r');
  let filled = 0;
  let eof = false;
  try {
    while (filled < want) {
      const n = readSync(fd, buf, filled, want - filled, job.offset + filled);
      if (n === 0) {
        eof = true;
        break;
      }
      filled += n;
    }
  } finally {
    closeSync(fd);
  }
  const sealed: Buffer[] = [];
  const chunks: ChunkOut[] = [];
  let pos = 0;
  let total = 0;
  while (pos < filled && pos < job.target) {
    const len = findCut(buf, pos, filled, eof);
    if (len <= 0) break;
    const blob = encodeBlob(key, buf.subarray(pos, pos + len));
    chunks.push({ id: blob.id, rawLength: len, compressed: blob.compressed, start: total, length: blob.data.length });
    sealed.push(blob.data);
    total += blob.data.length;
    pos += len;
  }
  const data = Buffer.allocUnsafeSlow(total);
  let o = 0;
  for (const s of sealed) {
    s.copy(data, o);
    o += s.length;
  }
  return { seq: job.seq, chunks, data, nextOffset: job.offset + pos, eof: eof && pos >= filled };
}

parentPort?.on('message', (job: ChunkJob) => {
  let res: ChunkResult;
  try {
    res = run(job);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    res = {
      seq: job.seq,
      chunks: [],
      data: new Uint8Array(0),
      nextOffset: job.offset,
      eof: false,
      error: { code: e.code, message: String(e.message) },
    };
  }
  parentPort?.postMessage(res, [res.data.buffer as ArrayBuffer]);
});
