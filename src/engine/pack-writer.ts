/**
 * Collects encoded blobs into packs of the drive's target size and writes each pack in one go.
 * Packs written since the last index file are kept until `writeIndex` makes them durable in one.
 */
import type { Drive } from './drive';
import type { BlobType, EncodedBlob } from './blob';
import { PackBuilder } from './pack';
import type { BlobIndex, IndexPack } from './index-file';
import { encodeIndex } from './index-file';
import { KnownIds } from './known-ids';

const TRAILER_PER_BLOB = 200;

export class PackWriter {
  private builder = new PackBuilder();
  private readonly pending = new Set<string>();
  private unindexed: IndexPack[] = [];
  /** set when a pack started a new volume; the archiver clears it after checkpointing */
  volumeChanged = false;
  packsWritten = 0;
  bytesWritten = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly writes: Promise<void>[] = [];
  private failure: unknown = null;
  /** has() for worker threads: the same IDs in a shared table (see known-ids.ts) */
  private known: KnownIds;
  /** hears of a bigger shared table when the current one fills up */
  onKnownGrown?: (buffer: SharedArrayBuffer) => void;

  constructor(
    readonly drive: Drive,
    private readonly index: BlobIndex,
    private readonly beforeWrite?: () => Promise<void>,
  ) {
    this.known = new KnownIds({ capacity: index.size + 65536 });
    for (const id of index.ids()) this.remember(id);
  }

  has(id: string): boolean {
    return this.pending.has(id) || this.index.has(id);
  }

  get knownBuffer(): SharedArrayBuffer {
    return this.known.buffer;
  }

  private remember(id: string): void {
    if (this.known.add(id)) return;
    this.known = this.known.grown();
    this.known.add(id);
    this.onKnownGrown?.(this.known.buffer);
  }

  async add(type: BlobType, blob: EncodedBlob): Promise<void> {
    this.rethrow();
    if (this.has(blob.id)) return;
    const b = this.builder;
    if (b.count > 0 && b.length + blob.data.length + TRAILER_PER_BLOB * (b.count + 1) > this.drive.packTarget) {
      await this.flush(false);
    }
    this.builder.add(blob.id, type, blob.data, blob.rawLength, blob.compressed);
    this.pending.add(blob.id);
    if (type === 'data') this.remember(blob.id);
  }

  private rethrow(): void {
    if (this.failure !== null) throw this.failure as Error;
  }

  /**
   * Closes the open pack (if any) and queues its write; packs are written one after another in
   * order (tape volumes need that) while the next pack fills. With `wait`, resolves once every
   * queued pack is durable and indexed; otherwise only keeps at most two writes outstanding.
   */
  async flush(wait = true): Promise<void> {
    this.rethrow();
    if (this.builder.count > 0) {
      const { id, parts, length, blobs } = this.builder.finishParts(this.drive.key);
      this.builder = new PackBuilder();
      const p = this.chain.then(async () => {
        if (this.failure !== null) return;
        try {
          if (this.beforeWrite) await this.beforeWrite();
          const written = await this.drive.packs.writePack(id, parts, length);
          const pack: IndexPack = { ...written.location, blobs };
          this.index.addPack(this.drive, pack);
          this.unindexed.push(pack);
          for (const b of blobs) this.pending.delete(b.id);
          this.packsWritten += 1;
          this.bytesWritten += length;
          if (written.newVolume) this.volumeChanged = true;
        } catch (err) {
          this.failure = err;
        }
      });
      this.chain = p;
      this.writes.push(p);
      void p.then(() => this.writes.splice(this.writes.indexOf(p), 1));
    }
    // tape: no write-behind, so the archiver checkpoints after every volume change
    if (wait || this.drive.packs.appendOnly) await this.chain;
    else while (this.writes.length > 1) await this.writes[0];
    this.rethrow();
  }

  /** Flushes, then writes one index file for the packs not yet indexed; returns its ID or null. */
  async writeIndex(): Promise<string | null> {
    await this.flush();
    // packs must be durable before an index names them
    await this.drive.packs.sync();
    if (this.unindexed.length === 0) return null;
    const { id, data } = encodeIndex(this.drive, { version: 1, packs: this.unindexed });
    await this.drive.writeFile('index', id, data);
    this.unindexed = [];
    return id;
  }
}
