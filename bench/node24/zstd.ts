/**
 * zstd-napi against Node's zlib zstd (Node >= 22.15), at the engine's level, on 1 MiB chunks of the
 * engine benchmark's kinds of data. Compress and decompress, one thread; MiB/s of plain data.
 */
import { performance } from 'node:perf_hooks';
import * as zlib from 'node:zlib';
import { compress, decompress } from 'zstd-napi';
import { CCtx, DCtx, compressBound, versionString } from 'zstd-napi/binding';
import { ZSTD_LEVEL } from '../../src/engine/blob';
import { AVG_CHUNK } from '../../src/engine/chunker';
import { prng, text } from '../engine/dataset';

/** What Node's zlib has on Node >= 22.15, which @types/node 20 does not declare. */
interface ZlibZstd {
  zstdCompressSync(buf: Uint8Array, options: { params: Record<number, number>; chunkSize?: number }): Buffer;
  zstdDecompressSync(buf: Uint8Array, options?: { chunkSize?: number }): Buffer;
  constants: { ZSTD_c_compressionLevel: number };
}

const MiB = 1024 * 1024;

export interface ZstdSetup {
  kinds: { what: string; chunks: Buffer[] }[];
  notes: string[];
}

export interface ZstdRow {
  what: string;
  engine: number;
  oneShot: number;
  zlib: number;
  zlibBig: number;
}

type Contender = 'engine' | 'oneShot' | 'zlib' | 'zlibBig';
const CONTENDERS: Contender[] = ['engine', 'oneShot', 'zlib', 'zlibBig'];
/** zlib's output chunk for `zlibBig`: a whole chunk's output in one piece, not 16 KiB ones concatenated */
const BIG = compressBound(AVG_CHUNK);

function zlibZstd(): ZlibZstd {
  return zlib as unknown as ZlibZstd;
}

function split(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += AVG_CHUNK) out.push(data.subarray(at, at + AVG_CHUNK));
  return out;
}

/** The compressors, each returning the compressed length of a chunk. */
function compressors(): Record<Contender, (chunk: Buffer) => number> {
  const cctx = new CCtx();
  const scratch = Buffer.allocUnsafeSlow(compressBound(AVG_CHUNK));
  const z = zlibZstd();
  const params = { [z.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL };
  return {
    engine: (chunk) => cctx.compress(scratch, chunk, ZSTD_LEVEL),
    oneShot: (chunk) => compress(chunk, { compressionLevel: ZSTD_LEVEL }).length,
    zlib: (chunk) => z.zstdCompressSync(chunk, { params }).length,
    zlibBig: (chunk) => z.zstdCompressSync(chunk, { params, chunkSize: BIG }).length,
  };
}

/** The decompressors, each returning the plain length of a frame. */
function decompressors(): Record<Contender, (frame: Buffer, plainLength: number) => number> {
  const dctx = new DCtx();
  const scratch = Buffer.allocUnsafeSlow(AVG_CHUNK);
  const z = zlibZstd();
  return {
    engine: (frame, n) => dctx.decompress(scratch.subarray(0, n), frame),
    oneShot: (frame) => decompress(frame).length,
    zlib: (frame) => z.zstdDecompressSync(frame).length,
    zlibBig: (frame) => z.zstdDecompressSync(frame, { chunkSize: BIG }).length,
  };
}

/**
 * Both produce and read the same format: a repository's blobs (written by zstd-napi) must stay
 * readable. Checks both directions on every chunk, and returns each one's compressed size.
 */
function crossCheck(chunks: Buffer[]): { napi: number; zlib: number } {
  const z = zlibZstd();
  const params = { [z.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL };
  let napi = 0;
  let builtin = 0;
  for (const c of chunks) {
    const a = compress(c, { compressionLevel: ZSTD_LEVEL });
    const b = z.zstdCompressSync(c, { params });
    if (!z.zstdDecompressSync(a).equals(c) || !decompress(b).equals(c)) throw new Error('zstd frames differ');
    napi += a.length;
    builtin += b.length;
  }
  return { napi, zlib: builtin };
}

export function zstdSetup(mib: number): ZstdSetup {
  const t = split(text('node24-text', mib * MiB));
  const r = split(prng('node24-random', mib * MiB));
  const mixed = t.flatMap((c, i) => [c, r[i]]);
  const kinds = [
    { what: 'text', chunks: t },
    { what: 'random', chunks: r },
    { what: 'text and random, interleaved', chunks: mixed },
  ];
  const sizes = kinds.map((k) => ({ what: k.what, plain: k.chunks.length * AVG_CHUNK, ...crossCheck(k.chunks) }));
  const ratios = sizes.map(
    (s) =>
      `${s.what} ${((100 * s.napi) / s.plain).toFixed(1)}% with zstd-napi, ${((100 * s.zlib) / s.plain).toFixed(1)}% with zlib`,
  );
  return {
    kinds,
    notes: [
      `zstd: level ${ZSTD_LEVEL} (the engine's ZSTD_LEVEL), ${AVG_CHUNK / MiB} MiB chunks, ${mib} MiB of text ` +
        `and ${mib} MiB of random bytes (bench/engine/dataset.ts's text() and prng()); libzstd ` +
        `${versionString()} in zstd-napi, ${process.versions.zstd ?? '?'} in Node`,
      `zstd output, compressed/plain: ${ratios.join('; ')}; each one decompresses the other's frames`,
      'zstd-napi "reused context" is the engine\'s way (src/engine/blob.ts: one CCtx/DCtx and output ' +
        'buffer per thread), "one-shot" its `compress()`/`decompress()`; zlib has only one-shot calls ' +
        '(a fresh context and output buffer per call): with its default `chunkSize` (output gathered in ' +
        `16 KiB pieces and concatenated) and with \`chunkSize: ${BIG}\` (one piece)`,
    ],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

/** Compress and decompress MiB/s per kind of data and contender, median of the rounds. */
export function zstdRows(setup: ZstdSetup, rounds: number, say: (msg: string) => void): ZstdRow[] {
  const comp = compressors();
  const decomp = decompressors();
  const rows: ZstdRow[] = [];
  for (const kind of setup.kinds) {
    const frames = kind.chunks.map((c) => compress(c, { compressionLevel: ZSTD_LEVEL }));
    const mibs = kind.chunks.length * (AVG_CHUNK / MiB);
    const c: Record<Contender, number[]> = { engine: [], oneShot: [], zlib: [], zlibBig: [] };
    const d: Record<Contender, number[]> = { engine: [], oneShot: [], zlib: [], zlibBig: [] };
    for (let round = 0; round < rounds; round++) {
      // each round starts with the next contender, so none always runs first
      for (let i = 0; i < CONTENDERS.length; i++) {
        const who = CONTENDERS[(round + i) % CONTENDERS.length];
        c[who].push(mibs / timed(() => kind.chunks.forEach((chunk) => comp[who](chunk))));
        d[who].push(mibs / timed(() => frames.forEach((f, j) => decomp[who](f, kind.chunks[j].length))));
      }
    }
    const row = (what: string, m: Record<Contender, number[]>): ZstdRow => ({
      what,
      engine: median(m.engine),
      oneShot: median(m.oneShot),
      zlib: median(m.zlib),
      zlibBig: median(m.zlibBig),
    });
    rows.push(row(`compress ${kind.what}`, c), row(`decompress ${kind.what}`, d));
    say(`zstd ${kind.what} done`);
  }
  return [...rows.filter((r) => r.what.startsWith('compress')), ...rows.filter((r) => !r.what.startsWith('compress'))];
}
