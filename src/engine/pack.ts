/**
 * Pack files: "BATONPK1", encoded blobs back to back, a sealed JSON trailer listing the blobs,
 * the trailer's length (uint32 LE) and "BATONPKE". Built in memory and written in one go. The
 * trailer's `aad` is config.ts trailerAad (version 5 binds it; none before).
 */
import { OVERHEAD, open, sealInto } from './crypto';
import { contentId, contentIdOfParts } from './hash';
import { CorruptionError } from './errors';
import type { BlobType } from './blob';
import { checkPackBlobs } from './validate';

export const PACK_MAGIC = Buffer.from('BATONPK1');
export const PACK_END = Buffer.from('BATONPKE');

export interface PackBlob {
  id: string;
  type: BlobType;
  offset: number;
  length: number;
  rawLength: number;
  compressed: boolean;
}

export class PackBuilder {
  private parts: Buffer[] = [PACK_MAGIC];
  private size = PACK_MAGIC.length;
  readonly blobs: PackBlob[] = [];

  add(id: string, type: BlobType, data: Buffer, rawLength: number, compressed: boolean): void {
    this.blobs.push({ id, type, offset: this.size, length: data.length, rawLength, compressed });
    this.parts.push(data);
    this.size += data.length;
  }

  get length(): number {
    return this.size;
  }

  get count(): number {
    return this.blobs.length;
  }

  /** The pack as its parts (written with one writev, never copied together) and its ID (the content ID of its bytes). */
  finishParts(
    key: Buffer | null,
    aad?: Uint8Array,
  ): { id: string; parts: Buffer[]; length: number; blobs: PackBlob[] } {
    return { ...closePack(key, this.parts, this.size, this.blobs, aad), blobs: this.blobs };
  }

  /** The whole pack in one buffer and its ID. */
  finish(key: Buffer | null, aad?: Uint8Array): { id: string; data: Buffer; blobs: PackBlob[] } {
    const { id, parts, blobs } = this.finishParts(key, aad);
    return { id, data: Buffer.concat(parts), blobs };
  }
}

/**
 * Closes a pack whose magic and blobs are `parts` (`size` bytes in all): appends the sealed trailer
 * listing `blobs`, its length and the end magic; returns all parts, the pack's length and its ID.
 */
export function closePack(
  key: Buffer | null,
  parts: Buffer[],
  size: number,
  blobs: PackBlob[],
  aad?: Uint8Array,
): { id: string; parts: Buffer[]; length: number } {
  const end = packEnd(key, blobs, aad);
  const all = [...parts, end];
  return { id: contentIdOfParts(all), parts: all, length: size + end.length };
}

/** What follows a pack's blobs: the sealed trailer listing `blobs`, its length and the end magic. */
export function packEnd(key: Buffer | null, blobs: PackBlob[], aad?: Uint8Array): Buffer {
  const plain = Buffer.from(JSON.stringify({ blobs }));
  const trailer = key === null ? plain : Buffer.allocUnsafe(plain.length + OVERHEAD);
  sealInto(key, plain, trailer, aad);
  const end = Buffer.allocUnsafe(trailer.length + 12);
  trailer.copy(end, 0);
  end.writeUInt32LE(trailer.length, trailer.length);
  PACK_END.copy(end, trailer.length + 4);
  return end;
}

/** Reads the blob list from a whole pack, checking magic, trailer and ID. */
export function parsePack(key: Buffer | null, data: Buffer, expectId?: string, aad?: Uint8Array): PackBlob[] {
  const name = expectId ? `pack ${expectId}` : 'pack';
  if (expectId && contentId(data) !== expectId) {
    throw new CorruptionError(`${name} has the wrong content (hash mismatch); it is damaged`, expectId);
  }
  if (data.length < 24 || !data.subarray(0, 8).equals(PACK_MAGIC) || !data.subarray(data.length - 8).equals(PACK_END)) {
    throw new CorruptionError(`${name} has no valid header or trailer magic`, expectId);
  }
  const tlen = data.readUInt32LE(data.length - 12);
  const tstart = data.length - 12 - tlen;
  if (tstart < 8) throw new CorruptionError(`${name} has an impossible trailer length ${tlen}`, expectId);
  return parseTrailer(key, data.subarray(tstart, data.length - 12), tstart, name, expectId, aad);
}

/**
 * The blob list of a pack's sealed trailer (read from `tstart`, where the blobs end): it must
 * authenticate, parse, and name blobs that lie within the pack's data (validate.ts).
 */
export function parseTrailer(
  key: Buffer | null,
  sealed: Buffer,
  tstart: number,
  name: string,
  expectId?: string,
  aad?: Uint8Array,
): PackBlob[] {
  const trailer = open(key, sealed, aad);
  if (trailer === null) throw new CorruptionError(`${name} trailer failed authentication`, expectId);
  let parsed: { blobs?: unknown } | null;
  try {
    parsed = JSON.parse(trailer.toString('utf8')) as { blobs?: unknown } | null;
  } catch {
    throw new CorruptionError(`${name} trailer is not valid JSON`, expectId);
  }
  checkPackBlobs(parsed?.blobs, expectId ?? 'being read', tstart, (problem) => {
    throw new CorruptionError(`${name} trailer ${problem}`, expectId);
  });
  return parsed?.blobs as PackBlob[];
}

/** A blob entry with only the fields the format names, whatever else a trailer carried. */
export function plainBlob(b: PackBlob): PackBlob {
  return {
    id: b.id,
    type: b.type,
    offset: b.offset,
    length: b.length,
    rawLength: b.rawLength,
    compressed: b.compressed,
  };
}
