/**
 * `repair index` (restic's `repair index`): rebuilds a drive's index from its packs. Under the
 * exclusive lock it reads every index file it can, keeps their entries for packs still on the drive
 * (unless asked to read all packs), reads the trailer of every other pack, writes new index files
 * and then removes the old ones, damaged ones included. A pack whose trailer does not read is named
 * in the result and left where it is. Tape packs are found by scanning the volumes (tape-scan.ts).
 */
import { trailerAad } from './config';
import type { Drive } from './drive';
import type { ListedPack, PackLocation } from './drive-store';
import { encodeIndex, readIndexFile } from './index-file';
import type { IndexFile, IndexPack } from './index-file';
import { PACK_END, PACK_MAGIC, parseTrailer, plainBlob } from './pack';
import type { PackBlob } from './pack';
import { Lock } from './lock';
import { CorruptionError, errnoCode, throwIfAborted } from './errors';
import { scanVolumes } from './tape-scan';

export interface RepairIndexOptions {
  drive: Drive;
  /** read every pack's trailer, not only those of packs no readable index file lists */
  readAllPacks?: boolean;
  signal?: AbortSignal;
}

export interface RepairIndexResult {
  /** packs whose trailer was read */
  packsRead: number;
  /** packs taken from readable index files without reading them */
  packsKept: number;
  blobsIndexed: number;
  /** packs whose trailer did not read; left in place */
  unreadable: { pack: string; message: string }[];
  /** packs an index file listed that are not on the drive (dropped from the index) */
  packsMissing: string[];
  /** index files that did not read, and why (removed with the others) */
  damagedIndexFiles: { name: string; message: string }[];
  indexFilesWritten: number;
  indexFilesRemoved: number;
}

/** At most this many blobs per new index file, as the pack writer does. */
const INDEX_BLOBS = 10_000;

export async function repairIndex(opts: RepairIndexOptions): Promise<RepairIndexResult> {
  const { drive, signal } = opts;
  const lock = await Lock.acquire(drive, true, 'repair index');
  try {
    const old = await drive.list('index');
    const { packs: indexed, damaged } = await readOldIndex(drive, old);
    const result: RepairIndexResult = {
      packsRead: 0,
      packsKept: 0,
      blobsIndexed: 0,
      unreadable: [],
      packsMissing: [],
      damagedIndexFiles: damaged,
      indexFilesWritten: 0,
      indexFilesRemoved: 0,
    };
    const packs = drive.packs.appendOnly
      ? await tapePacks(drive, indexed, result)
      : await directoryPacks(opts, indexed, result);
    throwIfAborted(signal, 'repair index');
    for (const p of packs) result.blobsIndexed += p.blobs.length;
    const written = await writeNewIndex(drive, lock, packs, old);
    result.indexFilesWritten = written.length;
    for (const name of old) {
      if (written.includes(name)) continue;
      lock.throwIfLost();
      await drive.remove('index', name);
      result.indexFilesRemoved++;
    }
    return result;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/** The packs listed by the live index files that read, and the index files that did not. */
async function readOldIndex(
  drive: Drive,
  names: string[],
): Promise<{ packs: Map<string, IndexPack>; damaged: { name: string; message: string }[] }> {
  const files = new Map<string, IndexFile>();
  const damaged: { name: string; message: string }[] = [];
  for (const name of names) {
    try {
      files.set(name, await readIndexFile(drive, name));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      if (!(err instanceof CorruptionError)) throw err;
      damaged.push({ name, message: err instanceof Error ? err.message : String(err) });
    }
  }
  for (const f of [...files.values()]) for (const s of f.supersedes ?? []) files.delete(s);
  const packs = new Map<string, IndexPack>();
  for (const f of files.values()) for (const p of f.packs) packs.set(p.id, p);
  return { packs, damaged };
}

/** Directory kind: every pack file, from the old index when it lists it at its size, else from its trailer. */
async function directoryPacks(
  opts: RepairIndexOptions,
  indexed: Map<string, IndexPack>,
  result: RepairIndexResult,
): Promise<IndexPack[]> {
  const { drive, signal } = opts;
  const listed = await drive.packs.listPacks();
  const onDrive = new Set(listed.map((p) => p.id));
  result.packsMissing = [...indexed.keys()].filter((id) => !onDrive.has(id)).sort();
  const out: IndexPack[] = [];
  for (const p of listed) {
    throwIfAborted(signal, 'repair index');
    const known = indexed.get(p.id);
    if (!opts.readAllPacks && known && known.length === p.length) {
      out.push(known);
      result.packsKept++;
      continue;
    }
    try {
      out.push({ id: p.id, length: p.length, blobs: await readTrailer(drive, p) });
      result.packsRead++;
    } catch (err) {
      if (!(err instanceof CorruptionError)) throw err;
      result.unreadable.push({ pack: p.id, message: err.message });
    }
  }
  return out;
}

/**
 * Tape kind: the packs found by scanning the volumes (the scan reads every trailer). Packs the old
 * index places where no pack is found are unreadable (damaged in place) or missing (volume gone).
 */
async function tapePacks(
  drive: Drive,
  indexed: Map<string, IndexPack>,
  result: RepairIndexResult,
): Promise<IndexPack[]> {
  const found = await scanVolumes(drive);
  const at = (p: PackLocation): string => `${String(p.volume)}:${String(p.offset)}`;
  const where = new Set(found.map((p) => `${at(p)}:${p.id}`));
  result.packsRead = found.length;
  for (const p of indexed.values()) {
    if (where.has(`${at(p)}:${p.id}`)) continue;
    if ((await drive.packs.packSize(p)) === null) result.packsMissing.push(p.id);
    else result.unreadable.push({ pack: p.id, message: `no readable pack at volume ${at(p)} where the index had it` });
  }
  return found;
}

/** A pack's blob list from its trailer alone (magic, end magic, trailer length, sealed trailer). */
export async function readTrailer(drive: Drive, p: ListedPack | PackLocation): Promise<PackBlob[]> {
  const name = `pack ${p.id} on drive ${drive.path}`;
  if (p.length < PACK_MAGIC.length + 12) throw new CorruptionError(`${name} is too short to be a pack`, p.id);
  const head = await drive.packs.readPack(p, 0, PACK_MAGIC.length);
  const tail = await drive.packs.readPack(p, p.length - 12, 12);
  if (!head.equals(PACK_MAGIC) || tail.length !== 12 || !tail.subarray(4).equals(PACK_END)) {
    throw new CorruptionError(`${name} has no valid header or end magic`, p.id);
  }
  const tlen = tail.readUInt32LE(0);
  const tstart = p.length - 12 - tlen;
  if (tstart < PACK_MAGIC.length) throw new CorruptionError(`${name} has an impossible trailer length ${tlen}`, p.id);
  const sealed = await drive.packs.readPack(p, tstart, tlen);
  return parseTrailer(drive.key, sealed, tstart, name, p.id, trailerAad(drive.config.version)).map(plainBlob);
}

/**
 * Writes the new index in files of at most INDEX_BLOBS blobs, the last of which supersedes every
 * old file: until it is written, readers still see the old index beside the new files (duplicate
 * entries are harmless), so an interrupted repair never leaves packs out of the index.
 */
async function writeNewIndex(drive: Drive, lock: Lock, packs: IndexPack[], old: string[]): Promise<string[]> {
  const groups: IndexPack[][] = [[]];
  let blobs = 0;
  for (const p of packs) {
    if (blobs > 0 && blobs + p.blobs.length > INDEX_BLOBS) {
      groups.push([]);
      blobs = 0;
    }
    groups[groups.length - 1].push(p);
    blobs += p.blobs.length;
  }
  const written: string[] = [];
  for (let i = 0; i < groups.length; i++) {
    const last = i === groups.length - 1;
    const file: IndexFile = { version: 1, packs: groups[i] };
    if (last) file.supersedes = old.filter((n) => !written.includes(n));
    const { id, data } = encodeIndex(drive, file);
    await lock.writeHeld('index', id, data);
    written.push(id);
  }
  return written;
}
