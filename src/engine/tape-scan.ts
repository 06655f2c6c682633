/**
 * Finds the packs in a tape drive's volumes without an index (for `repair index`). Packs lie back
 * to back after each volume's label, with dead space where a write was cut short; a pack is found
 * from its end: the end magic, the trailer length before it, the trailer (which must authenticate
 * and parse), whose blobs say where the pack's data ends and so where the pack starts, which must
 * hold the start magic. Each volume is read whole, one at a time. A volume prune recycled is
 * skipped: free in the pool, or its label's generation not the pool's (tape-volumes.ts), so its
 * old packs are never brought back.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Drive } from './drive';
import type { IndexPack } from './index-file';
import { PACK_END, PACK_MAGIC, parsePack, plainBlob } from './pack';
import type { PackBlob } from './pack';
import { open } from './crypto';
import { trailerAad } from './config';
import { contentId } from './hash';
import { CorruptionError, errnoCode } from './errors';
import { VOLUME_LABEL_SIZE, generation, labelGeneration, readPool, volumeName } from './tape-volumes';

/** Every pack found in the drive's volumes, in volume order. */
export async function scanVolumes(drive: Drive): Promise<IndexPack[]> {
  const tape = drive.config.tape;
  if (!tape) return [];
  let names: string[];
  try {
    names = await readdir(join(drive.path, 'volumes'));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const { pool } = await readPool(drive.path, tape.volumes);
  const out: IndexPack[] = [];
  for (let n = 1; n <= tape.volumes; n++) {
    if (!names.includes(volumeName(n)) || pool.free.includes(n)) continue;
    const data = await readFile(join(drive.path, 'volumes', volumeName(n)));
    if (labelGeneration(data, drive.id, n) !== generation(pool, n)) continue;
    out.push(...scanVolume(drive.key, data, n, trailerAad(drive.config.version)));
  }
  return out;
}

/** The packs in one volume's bytes. */
export function scanVolume(key: Buffer | null, data: Buffer, volume: number, aad?: Uint8Array): IndexPack[] {
  const out: IndexPack[] = [];
  let pos = VOLUME_LABEL_SIZE;
  let hit = data.indexOf(PACK_END, pos);
  while (hit >= 0) {
    const found = packEndingAt(key, data, pos, hit + PACK_END.length, aad);
    if (found) {
      out.push({ ...found, volume });
      pos = found.offset + found.length;
    }
    hit = data.indexOf(PACK_END, found ? pos : hit + 1);
  }
  return out;
}

/** The pack that ends at `end` and starts at or after `from`, or null when there is none. */
function packEndingAt(
  key: Buffer | null,
  data: Buffer,
  from: number,
  end: number,
  aad?: Uint8Array,
): (IndexPack & { offset: number }) | null {
  if (end - 12 - from < PACK_MAGIC.length) return null;
  const tlen = data.readUInt32LE(end - 12);
  const tstart = end - 12 - tlen;
  if (tstart < from + PACK_MAGIC.length) return null;
  const blobs = trailerBlobs(key, data.subarray(tstart, end - 12), aad);
  if (!blobs) return null;
  const dataEnd = blobs.reduce((m, b) => Math.max(m, b.offset + b.length), PACK_MAGIC.length);
  const start = tstart - dataEnd;
  if (start < from || !data.subarray(start, start + PACK_MAGIC.length).equals(PACK_MAGIC)) return null;
  const bytes = data.subarray(start, end);
  try {
    return {
      id: contentId(bytes),
      length: bytes.length,
      offset: start,
      blobs: parsePack(key, bytes, undefined, aad).map(plainBlob),
    };
  } catch (err) {
    if (err instanceof CorruptionError) return null;
    throw err;
  }
}

/** The blob list of a sealed trailer, unchecked (parsePack checks it), or null when it does not open. */
function trailerBlobs(key: Buffer | null, sealed: Buffer, aad?: Uint8Array): PackBlob[] | null {
  const plain = open(key, sealed, aad);
  if (plain === null) return null;
  try {
    const parsed = JSON.parse(plain.toString('utf8')) as { blobs?: unknown } | null;
    if (!Array.isArray(parsed?.blobs)) return null;
    const blobs = parsed.blobs as PackBlob[];
    return blobs.every((b) => Number.isSafeInteger(b?.offset) && Number.isSafeInteger(b?.length)) ? blobs : null;
  } catch {
    return null;
  }
}
