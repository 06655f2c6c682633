/**
 * Content IDs (repository format 2): the BLAKE3-256 hash of the bytes, as 64 lowercase hex digits.
 * Blobs are named by the hash of their plaintext; packs, index files and snapshots by the hash of
 * their stored bytes. BLAKE3 (native, from @napi-rs/blake-hash) runs about 5x faster than Node's
 * SHA-256 here, and every byte of a backup is hashed once as a blob and once inside its pack.
 *
 * One hasher per thread, reset after each use: the library's one-shot blake3() and each new
 * Blake3Hasher leak native memory (measured: about 350 bytes per blake3() call and 2 KiB per
 * hasher, never returned), which a backup of a million small files, or a node service running
 * for months, cannot afford. A reused hasher does not grow.
 */
import type * as BlakeHash from '@napi-rs/blake-hash';
import { napiPackage } from './native';

const { Blake3Hasher } = napiPackage<typeof BlakeHash>('@napi-rs/blake-hash');
type Blake3Hasher = InstanceType<typeof Blake3Hasher>;

const hasher = new Blake3Hasher();

/** A Buffer view of the same bytes (the binding's types take Buffers; no copy). */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function contentId(data: Uint8Array): string {
  return contentIdOfParts([data]);
}

/** The content ID of the concatenation of `parts`, without concatenating them. */
export function contentIdOfParts(parts: Uint8Array[]): string {
  try {
    for (const p of parts) hasher.update(asBuffer(p));
    return hasher.digest('hex');
  } finally {
    hasher.reset();
  }
}

/** one keyed hasher per ID key (a drive process uses one or two), reset after each use */
const keyedHashers = new Map<string, Blake3Hasher>();
let lastKey: Uint8Array | null = null;
let lastHasher: Blake3Hasher | undefined;

/**
 * A keyed content ID: BLAKE3 in keyed mode with a 32-byte ID key, so that whether a known file's
 * blobs are on a drive cannot be told without the key. Same key, same ID: drives sharing the key
 * deduplicate against each other.
 */
export function keyedContentId(idKey: Uint8Array, data: Uint8Array): string {
  // the last key's hasher, found by identity: a backup hashes every chunk under one key object
  let h = idKey === lastKey ? lastHasher : undefined;
  if (!h) {
    if (idKey.length !== 32) throw new Error(`a BLAKE3 ID key is 32 bytes, not ${idKey.length}`);
    const name = Buffer.from(idKey).toString('hex');
    h = keyedHashers.get(name);
    if (!h) {
      h = Blake3Hasher.newKeyed(Buffer.from(idKey));
      keyedHashers.set(name, h);
    }
    // (a key's bytes changed in place would still find its old hasher: ID keys are never mutated)
    lastKey = idKey;
    lastHasher = h;
  }
  try {
    h.update(asBuffer(data));
    return h.digest('hex');
  } finally {
    h.reset();
  }
}

/**
 * A blob's ID on a drive: keyed BLAKE3 under the drive's ID key (format 6, encrypted: content-key.ts),
 * or plain BLAKE3 (`null`: formats 2-5 and unencrypted drives).
 */
export function blobId(idKey: Uint8Array | null, data: Uint8Array): string {
  return idKey === null ? contentId(data) : keyedContentId(idKey, data);
}

/** A 32-byte subkey of `keyMaterial` for `context` (BLAKE3's derive_key mode). */
export function deriveSubkey(context: string, keyMaterial: Uint8Array): Buffer {
  return Blake3Hasher.deriveKey(context, Buffer.from(keyMaterial));
}
