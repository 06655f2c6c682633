/**
 * FastCDC content-defined chunking (normalised level 2, 32-bit gear hash), pinned by
 * docs/repository-format.md: min 512 KiB, average 1 MiB, max 8 MiB. Cut points depend only on the
 * bytes since the previous cut, so chunking may restart at any chunk boundary.
 */
import { createHash } from 'node:crypto';

export const MIN_CHUNK = 512 * 1024;
export const AVG_CHUNK = 1024 * 1024;
export const MAX_CHUNK = 8 * 1024 * 1024;
const MASK_S = 0xfffffc00 | 0;
const MASK_L = 0xffffc000 | 0;

/** SHA-256 of the gear table (256 big-endian uint32); tests check it against the format doc. */
export const GEAR_TABLE_SHA256 = 'd4335c8f90f3ff836e5269a1c970c719ea042a21b3dd0ee95b378b82bb94c2ae';

export const GEAR: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    t[i] = createHash('sha256').update(`baton-gear-v1:${i}`).digest().readUInt32BE(0);
  }
  return t;
})();

/** The same table as int32 (same low 32 bits, so the same hash values mod 2^32). */
const GEAR_I32 = Int32Array.from(GEAR, (v) => v | 0);

/** Big-endian bytes of the gear table, for pinning it. */
export function gearTableBytes(): Buffer {
  const b = Buffer.alloc(1024);
  GEAR.forEach((v, i) => b.writeUInt32BE(v, i * 4));
  return b;
}

/** The gear hash where the last `scan` stopped: the second scan of a chunk continues from it. */
let gearHash = 0;

/**
 * Rolls the gear hash over buf[i, end) from `gearHash`; returns the first index whose hash has no
 * bit of `mask` set, or -1. One small loop serving both masks: every path of it runs on every
 * chunk, so V8 keeps it optimized (a single function holding both loops and the rare exits kept
 * being deoptimized at an exit it had not seen yet, and chunked at half the speed).
 */
function scan(buf: Uint8Array, i: number, end: number, mask: number): number {
  const gear = GEAR_I32;
  let h = gearHash;
  for (; i < end; i++) {
    h = ((h << 1) + gear[buf[i]]) | 0;
    if ((h & mask) === 0) {
      gearHash = h;
      return i;
    }
  }
  gearHash = h;
  return -1;
}

/**
 * Length of the chunk starting at `start` in buf[start, end), or -1 when more data is needed to
 * decide. With `eof` the rest is final: the result is never -1 (0 for no data).
 */
export function findCut(buf: Uint8Array, start: number, end: number, eof: boolean): number {
  const n = end - start;
  if (n <= MIN_CHUNK) return eof ? n : -1;
  const limit = start + (n < MAX_CHUNK ? n : MAX_CHUNK);
  const normal = limit < start + AVG_CHUNK ? limit : start + AVG_CHUNK;
  gearHash = 0;
  let at = scan(buf, start + MIN_CHUNK, normal, MASK_S);
  if (at < 0) at = scan(buf, normal, limit, MASK_L);
  if (at >= 0) return at + 1 - start;
  if (limit - start === MAX_CHUNK) return MAX_CHUNK;
  return eof ? n : -1;
}

/** Splits a whole buffer into chunk lengths (for tests and small data). */
export function chunkLengths(buf: Uint8Array): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const len = findCut(buf, pos, buf.length, true);
    out.push(len);
    pos += len;
  }
  return out;
}
