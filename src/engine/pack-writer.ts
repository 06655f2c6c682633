/**
 * Collects encoded blobs into packs of the drive's target size (and at most MAX_PACK_BLOBS blobs)
 * and writes each pack in one go. Packs written since the last index file are listed in the next
 * one, written by `writeIndex` or, so that no index file (and no JSON of it in memory) grows past
 * about INDEX_BLOBS blobs, as soon as that many are waiting.
 *
 * A pack is built in place in a page-aligned buffer (direct-write.ts), which a directory drive
 * writes with O_DIRECT as it is; the buffers are reused from pack to pack (one filling, one being
 * written), so a backup touches no new memory per pack. A pack being filled costs no objects per
 * blob either: the blob's ID and place go into the blob index at once (as pending, see
 * index-file.ts). A pack of tiny files holds some 60,000 blobs, which as objects stayed alive long
 * enough to fill the old generation of the heap.
 *
 * Given `hashPack` (a backup passes its worker pool's), the buffers are shared memory and a worker
 * thread hashes each finished pack for its ID while the main thread fills the next: a first backup
 * of 1 GiB hashes some 700 MiB of packs, which had been about a third of a second of the main
 * thread's time.
 *
 * A directory drive takes two packs at once (WRITE_LANES): making a pack durable (its write, then
 * fsync) is the disk's slowest step, and a disk with two in flight makes more of them durable per
 * second (measured on the benchmark's virtual disk: 567 MB/s with one writer, 740 MB/s with two).
 * A tape takes them one at a time, in order.
 */
import { copyBytes } from './copy-bytes';
import { trailerAad } from './config';
import type { Drive } from './drive';
import type { BlobType, EncodedBlob } from './blob';
import { PACK_MAGIC, packEnd } from './pack';
import type { BlobIndex, IndexPack } from './index-file';
import { encodeIndex } from './index-file';
import { AlignedBuffer } from './direct-write';
import { contentId } from './hash';
import type { Lock } from './lock';

const TRAILER_PER_BLOB = 200;
/**
 * Blobs per pack and per index file at most. A pack of tiny files would otherwise hold some 55,000
 * blobs, and its trailer and the index file naming them are encoded in memory as JSON strings and
 * buffers of several MiB each; the C heap kept their high-water mark. Measured on a backup of
 * 1,000,000 tiny files: 50,000 blobs per pack and index file peaked at 297-321 MiB RSS, 10,000 at
 * 232 MiB, in the same time. Packs of ordinary chunks (about 1 MiB) never get near the limit.
 */
const MAX_PACK_BLOBS = 10_000;
const INDEX_BLOBS = 10_000;
/** packs a directory drive writes at once */
export const WRITE_LANES = 2;

/**
 * The content ID of the first `length` bytes of `memory`, computed elsewhere (a worker thread), or
 * null to have the pack writer hash it itself.
 */
export type PackHasher = (memory: SharedArrayBuffer, length: number) => Promise<string> | null;

export class PackWriter {
  /** the open pack (null when none): its bytes so far, size, and first index entry and count */
  private pack: AlignedBuffer | null = null;
  private size = 0;
  private first = 0;
  private count = 0;
  /** buffers of packs written, for the next packs */
  private readonly spare: AlignedBuffer[] = [];
  private unindexed: IndexPack[] = [];
  private unindexedBlobs = 0;
  /** set when a pack started a new volume; the archiver clears it after checkpointing */
  volumeChanged = false;
  packsWritten = 0;
  bytesWritten = 0;
  /** every pack this writer wrote (all of them hold blobs the backup uses) */
  readonly written: { drive: Drive; pack: IndexPack }[] = [];
  /** each lane writes its packs one after another; a tape has one lane */
  private readonly lanes: Promise<void>[];
  private packNo = 0;
  private readonly writes: Promise<void>[] = [];
  private failure: unknown = null;

  constructor(
    readonly drive: Drive,
    private readonly index: BlobIndex,
    private readonly beforeWrite?: () => Promise<void>,
    /** the backup's drive lock: index files are written under it (Lock.writeHeld) */
    private readonly lock?: Pick<Lock, 'writeHeld'>,
    /** hashes finished packs off this thread (their buffers are then shared memory) */
    private readonly hashPack?: PackHasher,
  ) {
    this.lanes = Array.from({ length: drive.packs.appendOnly ? 1 : WRITE_LANES }, () => Promise.resolve());
  }

  /** True for blobs the index has and blobs queued for a pack (the workers see the same, see known-ids.ts). */
  has(id: string): boolean {
    return this.index.knows(id);
  }

  /**
   * Puts the blob in the open pack; when that pack is full, first closes it (and waits while earlier
   * packs are written). Returns a promise only then: adding to a pack with room costs none.
   */
  add(type: BlobType, blob: EncodedBlob): Promise<void> | undefined {
    this.rethrow();
    if (this.has(blob.id)) return;
    const n = blob.data.length;
    const full = this.size + n + TRAILER_PER_BLOB * (this.count + 1) > this.drive.packTarget;
    if (this.count > 0 && (full || this.count >= MAX_PACK_BLOBS)) {
      return this.flush(false).then(() => this.put(type, blob));
    }
    this.put(type, blob);
  }

  private put(type: BlobType, blob: EncodedBlob): void {
    const n = blob.data.length;
    const pack = this.openPack();
    const e = this.index.addPending(blob.id, {
      type,
      offset: this.size,
      length: n,
      rawLength: blob.rawLength,
      compressed: blob.compressed,
    });
    if (this.count === 0) this.first = e;
    this.count++;
    pack.reserve(this.size + n);
    copyBytes(pack.bytes, this.size, blob.data); // shared memory: see copy-bytes.ts
    this.size += n;
  }

  /** The pack being filled; a new one starts with the pack magic in a spare buffer. */
  private openPack(): AlignedBuffer {
    if (this.pack) return this.pack;
    const pack = this.spare.pop() ?? new AlignedBuffer(this.drive.packTarget + 64 * 1024, this.hashPack !== undefined);
    PACK_MAGIC.copy(pack.bytes, 0);
    this.pack = pack;
    this.size = PACK_MAGIC.length;
    this.count = 0;
    return pack;
  }

  private rethrow(): void {
    if (this.failure !== null) throw this.failure as Error;
  }

  /**
   * Closes the open pack (if any) and queues its write, in the next lane: while the next pack
   * fills, a directory drive writes two at once, a tape one after another in order (its volumes
   * need that). With `wait`, resolves once every queued pack is durable and indexed; otherwise
   * returns once at most one write is outstanding.
   */
  async flush(wait = true): Promise<void> {
    this.rethrow();
    const buffer = this.pack;
    if (buffer && this.count > 0) {
      const first = this.first;
      const end = first + this.count;
      const tail = packEnd(this.drive.key, this.index.blobsIn(first, end), trailerAad(this.drive.config.version));
      const length = this.size + tail.length;
      buffer.reserve(length);
      tail.copy(buffer.bytes, this.size);
      const bytes = buffer.bytes.subarray(0, length);
      const shared = buffer.shared;
      const id = (shared && this.hashPack?.(shared, length)) || Promise.resolve(contentId(bytes));
      id.catch(() => undefined); // awaited in turn below, where a failure is kept
      this.pack = null;
      this.count = 0;
      const lane = this.packNo++ % this.lanes.length;
      const p = this.lanes[lane].then(async () => {
        if (this.failure !== null) return;
        try {
          if (this.beforeWrite) await this.beforeWrite();
          const written = await this.drive.packs.writePack(await id, [bytes], length);
          const pack = this.index.settle(this.drive, written.location, first, end);
          this.written.push({ drive: this.drive, pack });
          this.unindexed.push(pack);
          this.unindexedBlobs += end - first;
          this.packsWritten += 1;
          this.bytesWritten += length;
          if (written.newVolume) this.volumeChanged = true;
          if (this.unindexedBlobs >= INDEX_BLOBS) await this.indexWritten();
        } catch (err) {
          this.failure = err;
        } finally {
          this.spare.push(buffer);
        }
      });
      this.lanes[lane] = p;
      this.writes.push(p);
      void p.then(() => this.writes.splice(this.writes.indexOf(p), 1));
    }
    // tape: no write-behind, so the archiver checkpoints after every volume change
    if (wait || this.drive.packs.appendOnly) await Promise.all(this.lanes);
    else while (this.writes.length > 1) await this.writes[0];
    this.rethrow();
  }

  /** Flushes, then writes one index file for the packs not yet indexed; returns its ID or null. */
  async writeIndex(): Promise<string | null> {
    await this.flush();
    return this.indexWritten();
  }

  /** Writes one index file for the packs written and not yet indexed; returns its ID or null. */
  private async indexWritten(): Promise<string | null> {
    // the packs this index names are taken first: each was handed to the drive (writePack) before
    // it was listed, so the sync below covers it, while a pack the other lane lists meanwhile waits
    // for the next index
    const packs = this.unindexed;
    this.unindexed = [];
    this.unindexedBlobs = 0;
    // packs must be durable before an index names them
    await this.drive.packs.sync();
    if (packs.length === 0) return null;
    const { id, data } = encodeIndex(this.drive, { version: 1, packs });
    if (this.lock) await this.lock.writeHeld('index', id, data);
    else await this.drive.writeFile('index', id, data);
    return id;
  }
}
