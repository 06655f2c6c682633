/**
 * Index files (which packs hold which blobs, and where the packs are) and the in-memory blob
 * index built from them, across one or more drives.
 */
import type { Drive } from './drive';
import type { PackBlob } from './pack';
import type { PackLocation } from './drive-store';
import { decodeJson, encodeJson, decodeBlob } from './blob';
import { contentId } from './hash';

export interface IndexPack extends PackLocation {
  blobs: PackBlob[];
}

export interface IndexFile {
  version: 1;
  packs: IndexPack[];
  supersedes?: string[];
}

export interface BlobLocation {
  drive: Drive;
  pack: IndexPack;
  blob: PackBlob;
}

export function encodeIndex(drive: Drive, file: IndexFile): { id: string; data: Buffer } {
  const data = encodeJson(drive.key, file);
  return { id: contentId(data), data };
}

/** Reads index files of a drive (all live ones, or exactly `ids`). */
export async function readIndexFiles(drive: Drive, ids?: string[]): Promise<Map<string, IndexFile>> {
  const names = ids ?? (await drive.list('index'));
  const files = new Map<string, IndexFile>();
  for (const name of names) {
    const file = decodeJson<IndexFile>(drive.key, await drive.readFile('index', name), `index file ${name}`);
    files.set(name, file);
  }
  if (!ids) {
    for (const f of [...files.values()]) for (const s of f.supersedes ?? []) files.delete(s);
  }
  return files;
}

export class BlobIndex {
  private readonly map = new Map<string, BlobLocation>();
  readonly packs = new Map<string, { drive: Drive; pack: IndexPack }>();

  addPack(drive: Drive, pack: IndexPack): void {
    this.packs.set(pack.id, { drive, pack });
    for (const blob of pack.blobs) if (!this.map.has(blob.id)) this.map.set(blob.id, { drive, pack, blob });
  }

  addFile(drive: Drive, file: IndexFile): void {
    for (const p of file.packs) this.addPack(drive, p);
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  ids(): IterableIterator<string> {
    return this.map.keys();
  }

  get(id: string): BlobLocation | undefined {
    return this.map.get(id);
  }

  get size(): number {
    return this.map.size;
  }

  static async load(drive: Drive): Promise<BlobIndex> {
    const idx = new BlobIndex();
    for (const f of (await readIndexFiles(drive)).values()) idx.addFile(drive, f);
    return idx;
  }
}

/** Reads, decrypts, decompresses and verifies one blob. */
export async function readBlob(loc: BlobLocation): Promise<Buffer> {
  const stored = await loc.drive.packs.readPack(loc.pack, loc.blob.offset, loc.blob.length);
  return decodeBlob(loc.drive.key, stored, loc.blob, `pack ${loc.pack.id} on drive ${loc.drive.path}`);
}
