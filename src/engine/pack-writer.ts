/**
 * Collects encoded blobs into packs of the drive's target size and writes each pack in one go.
 * Packs written since the last index file are kept until `writeIndex` makes them durable in one.
 */
import type { Drive } from './drive';
import type { BlobType, EncodedBlob } from './blob';
import { PackBuilder } from './pack';
import type { BlobIndex, IndexPack } from './index-file';
import { encodeIndex } from './index-file';

const TRAILER_PER_BLOB = 200;

export class PackWriter {
  private builder = new PackBuilder();
  private readonly pending = new Set<string>();
  private unindexed: IndexPack[] = [];
  /** set when a pack started a new volume; the archiver clears it after checkpointing */
  volumeChanged = false;
  packsWritten = 0;
  bytesWritten = 0;

  constructor(
    readonly drive: Drive,
    private readonly index: BlobIndex,
    private readonly beforeWrite?: () => Promise<void>,
  ) {}

  has(id: string): boolean {
    return this.pending.has(id) || this.index.has(id);
  }

  async add(type: BlobType, blob: EncodedBlob): Promise<void> {
    if (this.has(blob.id)) return;
    const b = this.builder;
    if (b.count > 0 && b.length + blob.data.length + TRAILER_PER_BLOB * (b.count + 1) > this.drive.packTarget) {
      await this.flush();
    }
    this.builder.add(blob.id, type, blob.data, blob.rawLength, blob.compressed);
    this.pending.add(blob.id);
  }

  /** Writes the open pack (if any) durably and adds it to the index. */
  async flush(): Promise<void> {
    if (this.builder.count === 0) return;
    if (this.beforeWrite) await this.beforeWrite();
    const { id, data, blobs } = this.builder.finish(this.drive.key);
    const written = await this.drive.packs.writePack(id, data);
    const pack: IndexPack = { ...written.location, blobs };
    this.index.addPack(this.drive, pack);
    this.unindexed.push(pack);
    for (const b of blobs) this.pending.delete(b.id);
    this.builder = new PackBuilder();
    this.packsWritten += 1;
    this.bytesWritten += data.length;
    if (written.newVolume) this.volumeChanged = true;
  }

  /** Flushes, then writes one index file for the packs not yet indexed; returns its ID or null. */
  async writeIndex(): Promise<string | null> {
    await this.flush();
    if (this.unindexed.length === 0) return null;
    const { id, data } = encodeIndex(this.drive, { version: 1, packs: this.unindexed });
    await this.drive.writeFile('index', id, data);
    this.unindexed = [];
    return id;
  }
}
