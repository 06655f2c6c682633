/**
 * A batch of small files on its way to a seal worker and back, packed into a few strings and typed
 * arrays. Structured cloning copies these in one piece each; a batch of 128 job objects (two
 * bigints each) and of 128 results (objects, arrays and strings per file and chunk) cost the main
 * thread more than a tenth of a backup of 100,000 tiny files in `postMessage` alone, and its
 * garbage as much again (measured: docs/engine.md). Each side keeps the objects it works with;
 * only the messages are packed.
 */
import type { JobError, SealResult, SegmentJob } from './seal-job';

/** The jobs of a batch: every field of job i at index i (or 2i, 3i) of its array. */
export interface PackedJobs {
  /** the paths (latin1 strings, which hold no NUL byte), joined by NUL */
  paths: string;
  /** offset, target, flags (STAT, LISTED) */
  numbers: Float64Array;
  /** device and inode, where LISTED */
  listed: BigUint64Array;
}

/** The results of a batch: the sealed bytes of every file one after another, and what they are. */
export interface PackedResults {
  data: Uint8Array;
  /** every chunk's ID (64 hex digits), one after another */
  ids: string;
  /** per file: offset, chunk count, next offset, flags (EOF, STAT, NEXT), start of its bytes in `data` */
  files: Float64Array;
  /** per file: size, mtimeNs, ctimeNs (zero where the file has no STAT) */
  stats: BigInt64Array;
  /** per chunk: raw length, start (in its file's bytes), length, flags (COMPRESSED, KNOWN) */
  chunks: Float64Array;
  /** the files that failed, by index: few or none */
  errors: { index: number; error: JobError }[];
}

const STAT = 1;
const LISTED = 2;
const EOF = 1;
const NEXT = 4;
const COMPRESSED = 1;
const KNOWN = 2;
const ID_LENGTH = 64;
const FILE_FIELDS = 5;

export function packJobs(jobs: Omit<SegmentJob, 'kind'>[]): PackedJobs {
  const numbers = new Float64Array(jobs.length * 3);
  const listed = new BigUint64Array(jobs.length * 2);
  jobs.forEach((j, i) => {
    if (j.path.includes('\0')) throw new Error(`a path with a NUL byte cannot be read: ${JSON.stringify(j.path)}`);
    numbers[3 * i] = j.offset;
    numbers[3 * i + 1] = j.target;
    let flags = j.stat ? STAT : 0;
    if (j.dev !== undefined && j.ino !== undefined) {
      flags |= LISTED;
      listed[2 * i] = j.dev;
      listed[2 * i + 1] = j.ino;
    }
    numbers[3 * i + 2] = flags;
  });
  return { paths: jobs.map((j) => j.path).join('\0'), numbers, listed };
}

export function unpackJobs(p: PackedJobs): SegmentJob[] {
  const paths = p.numbers.length === 0 ? [] : p.paths.split('\0');
  if (paths.length * 3 !== p.numbers.length || paths.length * 2 !== p.listed.length) {
    throw new Error(`a packed batch of ${paths.length} paths has ${p.numbers.length / 3} jobs' numbers`);
  }
  return paths.map((path, i) => {
    const flags = p.numbers[3 * i + 2];
    const job: SegmentJob = { kind: 'segment', path, offset: p.numbers[3 * i], target: p.numbers[3 * i + 1] };
    if (flags & STAT) job.stat = true;
    if (flags & LISTED) {
      job.dev = p.listed[2 * i];
      job.ino = p.listed[2 * i + 1];
    }
    return job;
  });
}

/** Packs a batch's results; each result's `data` is copied into the one buffer (transferring many small ones costs more). */
export function packResults(results: SealResult[]): PackedResults {
  const chunkCount = results.reduce((n, r) => n + r.chunks.length, 0);
  const data = Buffer.allocUnsafeSlow(results.reduce((n, r) => n + r.data.byteLength, 0));
  const files = new Float64Array(results.length * FILE_FIELDS);
  const stats = new BigInt64Array(results.length * 3);
  const chunks = new Float64Array(chunkCount * 4);
  const ids: string[] = [];
  const errors: PackedResults['errors'] = [];
  let at = 0;
  let c = 0;
  results.forEach((r, i) => {
    data.set(r.data, at);
    const f = FILE_FIELDS * i;
    files[f] = r.offset;
    files[f + 1] = r.chunks.length;
    files[f + 2] = r.nextOffset ?? 0;
    files[f + 3] = (r.eof ? EOF : 0) | (r.stat ? STAT : 0) | (r.nextOffset !== undefined ? NEXT : 0);
    files[f + 4] = at;
    if (r.stat) {
      stats[3 * i] = r.stat.size;
      stats[3 * i + 1] = r.stat.mtimeNs;
      stats[3 * i + 2] = r.stat.ctimeNs;
    }
    if (r.error) errors.push({ index: i, error: r.error });
    for (const ch of r.chunks) {
      if (ch.id.length !== ID_LENGTH) throw new Error(`bug: chunk ID ${ch.id} is not ${ID_LENGTH} hex digits`);
      ids.push(ch.id);
      chunks[4 * c] = ch.rawLength;
      chunks[4 * c + 1] = ch.start;
      chunks[4 * c + 2] = ch.length;
      chunks[4 * c + 3] = (ch.compressed ? COMPRESSED : 0) | (ch.known ? KNOWN : 0);
      c++;
    }
    at += r.data.byteLength;
  });
  return { data, ids: ids.join(''), files, stats, chunks, errors };
}

/** The results again, each file's `data` a view of the one buffer. */
export function unpackResults(p: PackedResults): SealResult[] {
  const count = p.files.length / FILE_FIELDS;
  const results: SealResult[] = [];
  let c = 0;
  for (let i = 0; i < count; i++) {
    const f = FILE_FIELDS * i;
    const n = p.files[f + 1];
    const flags = p.files[f + 3];
    const end = i + 1 < count ? p.files[f + FILE_FIELDS + 4] : p.data.byteLength;
    const r: SealResult = { offset: p.files[f], chunks: [], data: p.data.subarray(p.files[f + 4], end) };
    for (let k = 0; k < n; k++, c++) {
      const chunkFlags = p.chunks[4 * c + 3];
      const chunk: SealResult['chunks'][number] = {
        id: p.ids.slice(ID_LENGTH * c, ID_LENGTH * (c + 1)),
        rawLength: p.chunks[4 * c],
        compressed: (chunkFlags & COMPRESSED) !== 0,
        start: p.chunks[4 * c + 1],
        length: p.chunks[4 * c + 2],
      };
      if (chunkFlags & KNOWN) chunk.known = true;
      r.chunks.push(chunk);
    }
    if (flags & NEXT) r.nextOffset = p.files[f + 2];
    if (flags & EOF) r.eof = true;
    if (flags & STAT) r.stat = { size: p.stats[3 * i], mtimeNs: p.stats[3 * i + 1], ctimeNs: p.stats[3 * i + 2] };
    results.push(r);
  }
  for (const { index, error } of p.errors) results[index].error = error;
  if (c * 4 !== p.chunks.length || p.ids.length !== c * ID_LENGTH) {
    throw new Error(`bug: a packed batch lists ${p.chunks.length / 4} chunks but its files hold ${c}`);
  }
  return results;
}
