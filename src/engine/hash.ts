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
import { Blake3Hasher } from '@napi-rs/blake-hash';

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
