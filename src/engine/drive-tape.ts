/**
 * Pack storage of a `tape` drive: fixed-capacity volume files volumes/vol-000001, ... appended
 * strictly in order. A pack goes at the end of the current volume or, if it does not fit, at the
 * start of a free volume (after its 4096-byte label): the lowest one prune recycled, else the
 * next never used. None left means the drive is full. Packs are read back by volume + offset.
 * Space inside a volume is never reused; a whole volume is, once prune recycles it (tape-volumes.ts).
 */
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, writeAll } from './fsutil';
import { CorruptionError, DriveFullError, errnoCode } from './errors';
import type { ListedPack, PackLocation, PackStore, WrittenPack } from './drive-store';
import { isUint, packPathId } from './validate';
import {
  VOLUME_LABEL_SIZE,
  generation,
  labelBytes,
  readPool,
  startedVolumes,
  volumeName,
  writePool,
} from './tape-volumes';
import type { VolumePool } from './tape-volumes';

export { VOLUME_LABEL_SIZE, volumeName };

export class TapePackStore implements PackStore {
  readonly appendOnly = true;

  constructor(
    private readonly root: string,
    private readonly driveId: string,
    readonly volumeSize: number,
    readonly volumes: number,
  ) {}

  /** volumes/vol-<n>; refuses a number that is not one of the drive's volumes (validate.ts checks indexes first). */
  private file(n: number): string {
    if (!isUint(n, this.volumes) || n < 1) {
      throw new CorruptionError(
        `refusing to build a path on drive ${this.root} from volume number ${String(n)}: the drive has volumes 1 to ${this.volumes}; ` +
          `nothing was opened or written. Run \`baton repo verify --drive ${this.root}\``,
      );
    }
    return join(this.root, 'volumes', volumeName(n));
  }

  /** Where a pack lies in its volume, refused unless it is inside the volume's data (after the label). */
  private position(loc: PackLocation): { volume: number; offset: number } {
    packPathId(loc.id, this.root);
    const { volume, offset } = loc;
    if (volume === undefined || offset === undefined) {
      throw new CorruptionError(`pack ${loc.id} has no volume position in the index`, loc.id);
    }
    if (!isUint(offset, this.volumeSize) || offset < VOLUME_LABEL_SIZE || offset + loc.length > this.volumeSize) {
      throw new CorruptionError(
        `pack ${loc.id} is placed at ${String(offset)} in volume ${String(volume)}, outside its data; run \`baton repo verify --drive ${this.root}\``,
        loc.id,
      );
    }
    return { volume, offset };
  }

  /** The current volume and its length (0 when it has no file yet; n 0 when there is none). */
  private async tail(pool: VolumePool): Promise<{ n: number; size: number }> {
    if (pool.current === 0) return { n: 0, size: 0 };
    try {
      return { n: pool.current, size: (await stat(this.file(pool.current))).size };
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      return { n: pool.current, size: 0 };
    }
  }

  async writePack(id: string, parts: Buffer[], length: number): Promise<WrittenPack> {
    if (length > this.volumeSize - VOLUME_LABEL_SIZE) {
      throw new Error(`pack ${id} (${length} bytes) is larger than a volume`);
    }
    const { pool, stored } = await readPool(this.root, this.volumes);
    const tail = await this.tail(pool);
    let n = tail.n;
    let offset = tail.size;
    const newVolume = n === 0 || offset === 0 || offset + length > this.volumeSize;
    try {
      await mkdir(join(this.root, 'volumes'), { recursive: true });
      if (newVolume) {
        n = offset === 0 && n !== 0 ? n : await this.nextVolume(pool, id, length);
        offset = VOLUME_LABEL_SIZE;
        await this.startVolume(pool, stored, n);
      }
      const fh = await open(this.file(n), 'r+');
      try {
        await writeAll(fh, parts, offset);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (errnoCode(err) === 'ENOSPC' || errnoCode(err) === 'EDQUOT') {
        throw new DriveFullError(this.root, `no space left on the device holding volume ${volumeName(n)}`);
      }
      throw err;
    }
    return { location: { id, length, volume: n, offset }, newVolume };
  }

  /** The volume to take when the current one is full: the lowest free one, else the next never used. */
  private async nextVolume(pool: VolumePool, id: string, length: number): Promise<number> {
    if (pool.free.length > 0) return pool.free[0];
    const n = ((await startedVolumes(this.root)).at(-1) ?? 0) + 1;
    if (n > this.volumes) {
      throw new DriveFullError(
        this.root,
        `all ${this.volumes} volumes of ${this.volumeSize} bytes are used and none is free, pack ${id.slice(0, 12)} needs ${length} bytes; ` +
          `forget snapshots and prune to recycle volumes`,
      );
    }
    return n;
  }

  /**
   * Labels volume n afresh (a file holding only its label, its generation from the pool), then
   * records it as current when the drive keeps a pool file. A crash in between leaves it free and
   * empty (taken again next time) or, never recycled, the highest started (current without a file).
   */
  private async startVolume(pool: VolumePool, stored: boolean, n: number): Promise<void> {
    const fh = await open(this.file(n), 'w');
    try {
      await fh.write(labelBytes(this.driveId, n, generation(pool, n)), 0, VOLUME_LABEL_SIZE, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsyncDir(join(this.root, 'volumes'));
    if (stored) await writePool(this.root, { ...pool, current: n, free: pool.free.filter((v) => v !== n) });
  }

  packFile(loc: PackLocation): { file: string; offset: number } {
    const at = this.position(loc);
    return { file: this.file(at.volume), offset: at.offset };
  }

  async readPack(loc: PackLocation, offset: number, length: number): Promise<Buffer> {
    const at = this.position(loc);
    if (!isUint(offset, loc.length) || !isUint(length, loc.length - offset)) {
      throw new Error(`bug: read of ${length} bytes at ${offset} in pack ${loc.id} of ${loc.length} bytes`);
    }
    const fh = await open(this.file(at.volume), 'r');
    try {
      length = Math.max(0, Math.min(length, (await fh.stat()).size - at.offset - offset));
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, at.offset + offset);
      return bytesRead === length ? buf : buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async packSize(loc: PackLocation): Promise<number | null> {
    if (loc.volume === undefined || loc.offset === undefined) return null;
    const at = this.position(loc);
    try {
      const size = (await stat(this.file(at.volume))).size;
      return Math.max(0, Math.min(loc.length, size - at.offset));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
  }

  /** Tape writes are fsynced before writePack returns (volumes are appended strictly in order). */
  sync(): Promise<void> {
    return Promise.resolve();
  }

  deletePack(): Promise<boolean> {
    return Promise.resolve(false);
  }

  listPacks(): Promise<ListedPack[]> {
    return Promise.resolve([]);
  }
}
