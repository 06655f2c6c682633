/**
 * Blob encoding: zstd (the drive's level) when it shrinks the data, raw otherwise, then sealed with the
 * drive's key. Decoding checks the GCM tag and the content ID (BLAKE3) of the plaintext against the blob ID.
 */
import { compress } from 'zstd-napi';
import { CCtx, DCtx, compressBound, getFrameContentSize } from 'zstd-napi/binding';
import { OVERHEAD, open, openInto, openWithAad, sealInto, sealWithAad } from './crypto';
import { blobId } from './hash';
import { CorruptionError } from './errors';
import { MAX_BLOB, MAX_JSON, isUint } from './validate';

export type BlobType = 'data' | 'tree';
/**
 * The default zstd level of new drives; each drive records its own (`--compression-level` at init).
 * Level 2, not zstd's own default 3: measured here with 1 MiB blocks (`zstd -b2 -e3 -B1M`), level 2
 * compresses the benchmark's text 1.3x as fast as level 3 for 0.4% more output, a tar of
 * /usr/share/doc 1.2x as fast for 0.9% more, and one of /usr/lib/x86_64-linux-gnu 1.36x as fast
 * for 4.2% more. Backed up, that directory takes 238 MiB at level 2, 227 MiB at level 3 and 234 MiB
 * with restic's `auto`. A first backup of the benchmark set runs 8% faster at level 2 and its
 * repository is the same size (bench/engine shows both levels).
 */
export const ZSTD_LEVEL = 2;
export const MAX_ZSTD_LEVEL = 19;

export interface EncodedBlob {
  id: string;
  data: Buffer;
  rawLength: number;
  compressed: boolean;
}

/** `aad`: the blob's associated data on the drive (config.ts blobAad: version 5 binds type and ID). */
export function encodeBlob(
  key: Buffer | null,
  plain: Uint8Array,
  id = blobId(null, plain),
  level = ZSTD_LEVEL,
  aad?: Uint8Array,
): EncodedBlob {
  const { payload, compressed } = compressBlob(plain, level);
  const data = Buffer.allocUnsafe(sealedLength(key, payload.length));
  sealInto(key, payload, data, aad);
  return { id, data, rawLength: plain.length, compressed };
}

// One compression context and output buffer per thread, reused: a fresh context and a fresh
// chunk-sized output buffer per blob cost more than compressing incompressible data.
let cctx: CCtx | null = null;
let scratch = Buffer.alloc(0);

/** zstd of `plain` as a view of the scratch buffer (valid until the next call). */
function compressToScratch(plain: Uint8Array, level: number): Buffer {
  cctx ??= new CCtx();
  const bound = compressBound(plain.length);
  if (scratch.length < bound) scratch = Buffer.allocUnsafeSlow(bound);
  return scratch.subarray(0, cctx.compress(scratch, plain, level));
}

const PROBE_FROM = 128 * 1024;
const PROBE_WINDOW = 8 * 1024;

/**
 * Whether a chunk looks compressible: three 8 KiB windows (start, middle, end) compressed at
 * zstd's fastest level must shrink by 3% together. Already-compressed data (media, archives,
 * encrypted files) then skips the full compression, which would only find it does not shrink;
 * borg's `auto` mode makes the same trade. Chunks under 128 KiB are always compressed.
 */
export function looksCompressible(plain: Uint8Array): boolean {
  if (plain.length < PROBE_FROM) return true;
  cctx ??= new CCtx();
  if (scratch.length < compressBound(PROBE_WINDOW)) scratch = Buffer.allocUnsafeSlow(compressBound(PROBE_FROM));
  let out = 0;
  for (const at of [0, (plain.length - PROBE_WINDOW) >> 1, plain.length - PROBE_WINDOW]) {
    out += cctx.compress(scratch, plain.subarray(at, at + PROBE_WINDOW), 1);
  }
  return out < 3 * PROBE_WINDOW * 0.97;
}

/**
 * What a blob of `plain` stores before sealing: zstd at `level` when that shrinks it (a view of
 * this thread's scratch buffer, valid until the next call), else `plain` itself.
 */
export function compressBlob(plain: Uint8Array, level = ZSTD_LEVEL): { payload: Uint8Array; compressed: boolean } {
  if (plain.length > 0 && looksCompressible(plain)) {
    const z = compressToScratch(plain, level);
    if (z.length < plain.length) return { payload: z, compressed: true };
  }
  return { payload: plain, compressed: false };
}

/** The stored length of a payload once sealed: its nonce and tag added when encrypted. */
export function sealedLength(key: Buffer | null, payloadLength: number): number {
  return key === null ? payloadLength : payloadLength + OVERHEAD;
}

export interface BlobRef {
  id: string;
  compressed: boolean;
  rawLength: number;
}

// The decompression context (one per thread) and the restore workers' output buffers, reused (see
// decodeBlob's `transient`).
let dctx: DCtx | null = null;
let plainScratch = Buffer.alloc(0);
let openScratch = Buffer.alloc(0);

/**
 * `payload` decompressed into `out`, which bounds it: zstd refuses a frame that claims or makes more
 * than `out` holds, so a bomb costs at most `out`, never what it claims. Returns the view written.
 */
function decompressInto(payload: Uint8Array, out: Buffer): Buffer {
  dctx ??= new DCtx();
  return out.subarray(0, dctx.decompress(out, payload));
}

/** `payload` decompressed into the scratch buffer (valid until the next call); throws past `rawLength` bytes. */
function decompressToScratch(payload: Uint8Array, rawLength: number): Buffer {
  if (plainScratch.length < rawLength)
    plainScratch = Buffer.allocUnsafeSlow(Math.max(rawLength, 2 * plainScratch.length));
  return decompressInto(payload, plainScratch.subarray(0, rawLength));
}

function refuse(ref: BlobRef, where: string, problem: string): never {
  throw new CorruptionError(
    `blob ${ref.id} in ${where} ${problem}; run \`baton repo verify --read-data\``,
    where,
    ref.id,
  );
}

/**
 * Decodes and verifies one stored blob; `where` names the pack for error messages, `aad` is the
 * associated data the reader expects (config.ts blobAad: the type it wants and the ID). With `transient`,
 * the blob is decrypted and decompressed into buffers the next transient decode reuses (no
 * allocation per blob), so the result must be used before then. The plaintext is never let grow
 * past `ref.rawLength`, itself at most MAX_BLOB (and checked against its type by the index).
 */
export function decodeBlob(
  key: Buffer | null,
  stored: Uint8Array,
  ref: BlobRef,
  where: string,
  transient = false,
  aad?: Uint8Array,
  /** the drive's blob ID key (format 6, encrypted: drive.ids.idKey), null when its IDs are plain BLAKE3 */
  idKey: Buffer | null = null,
): Buffer {
  if (!isUint(ref.rawLength, MAX_BLOB)) {
    refuse(
      ref,
      where,
      `claims ${String(ref.rawLength)} bytes, more than a blob may hold (${MAX_BLOB}); refused unread`,
    );
  }
  let payload: Buffer | null;
  if (transient && key !== null) {
    if (openScratch.length < stored.length)
      openScratch = Buffer.allocUnsafeSlow(Math.max(stored.length, 2 * openScratch.length));
    payload = openInto(key, stored, openScratch, aad);
  } else {
    payload = open(key, stored, aad);
  }
  if (payload === null) {
    refuse(ref, where, `failed authentication (damaged, tampered with, or another blob put in its place)`);
  }
  let plain: Buffer;
  try {
    if (!ref.compressed) plain = payload;
    else if (transient) plain = decompressToScratch(payload, ref.rawLength);
    else plain = decompressInto(payload, Buffer.allocUnsafe(ref.rawLength));
  } catch {
    throw new CorruptionError(
      `blob ${ref.id} in ${where} does not decompress to its ${ref.rawLength} bytes; the pack is damaged`,
      where,
      ref.id,
    );
  }
  if (plain.length !== ref.rawLength || blobId(idKey, plain) !== ref.id) {
    throw new CorruptionError(
      `blob ${ref.id} in ${where} has the wrong content (hash mismatch); the pack is damaged`,
      where,
      ref.id,
    );
  }
  return plain;
}

/** Metadata objects (index files, snapshots): zstd-compressed JSON, sealed with `aad` (config.ts: metadataAad). */
export function encodeJson(key: Buffer | null, value: unknown, aad: Uint8Array): Buffer {
  return sealWithAad(key, compress(Buffer.from(JSON.stringify(value)), { compressionLevel: ZSTD_LEVEL }), aad);
}

/**
 * Opens, decompresses and parses a metadata object; its shape is for the caller to check (validate.ts).
 * The zstd frame must state its size (Baton's always do), at most MAX_JSON: the output buffer is
 * that size, so a frame claiming or making more is refused before it is allocated.
 */
export function decodeJson(key: Buffer | null, stored: Uint8Array, what: string, aad: Uint8Array): unknown {
  const payload = openWithAad(key, stored, aad);
  if (payload === null) {
    throw new CorruptionError(
      `${what} failed authentication (damaged, written with another key, or another kind of object put in its ` +
        `place); run \`baton repo verify\``,
    );
  }
  let size: number | null;
  try {
    size = getFrameContentSize(payload);
  } catch {
    size = null;
  }
  if (size === null || !isUint(size, MAX_JSON)) {
    const claim =
      size === null
        ? 'does not state its size'
        : `claims ${String(size)} bytes of JSON, more than a reader takes (${MAX_JSON})`;
    throw new CorruptionError(
      `${what} ${claim}; refused unread, it is damaged or was tampered with: run \`baton repo verify\``,
    );
  }
  try {
    const text = decompressInto(payload, Buffer.allocUnsafe(size));
    if (text.length !== size) throw new Error('short');
    return JSON.parse(text.toString('utf8')) as unknown;
  } catch {
    throw new CorruptionError(`${what} is not valid compressed JSON; it is damaged`);
  }
}
