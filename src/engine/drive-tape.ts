/**
 * Pack storage of a `tape` drive: fixed-capacity volume files volumes/vol-000001, ... appended
 * strictly in order. A pack goes at the end of the current volume or, if it does not fit, at the
 * start of the next one (after its 4096-byte label). No volume left means the drive is full.
 * Packs are read back by volume + offset. Space is never reused (append-only).
 */
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, writeAll } from './fsutil';
import { CorruptionError, DriveFullError, errnoCode } from './errors';
import type { ListedPack, PackLocation, PackStore, WrittenPack } from './drive-store';
import { isUint, packPathId } from './validate';

export const VOLUME_LABEL_SIZE = 4096;

export function volumeName(n: number): string {
  return `vol-${String(n).padStart(6, '0')}`;
}

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

  /** Number of the last volume started (0 when none) and its current length. */
  private async tail(): Promise<{ n: number; size: number }> {
    let names: string[] = [];
    try {
      names = await readdir(join(this.root, 'volumes'));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    const nums = names.map((x) => /^vol-(\d{6})$/.exec(x)).flatMap((m) => (m ? [Number(m[1])] : []));
    if (nums.length === 0) return { n: 0, size: 0 };
    const n = Math.max(...nums);
    return { n, size: (await stat(this.file(n))).size };
  }

  async writePack(id: string, parts: Buffer[], length: number): Promise<WrittenPack> {
    if (length > this.volumeSize - VOLUME_LABEL_SIZE) {
      throw new Error(`pack ${id} (${length} bytes) is larger than a volume`);
    }
    const tail = await this.tail();
    let n = tail.n;
    let offset = tail.size;
    let newVolume = false;
    if (n === 0 || offset + length > this.volumeSize) {
      n += 1;
      if (n > this.volumes) {
        throw new DriveFullError(
          this.root,
          `all ${this.volumes} volumes of ${this.volumeSize} bytes are used, pack ${id.slice(0, 12)} needs ${length} bytes`,
        );
      }
      newVolume = true;
      offset = VOLUME_LABEL_SIZE;
    }
    try {
      await mkdir(join(this.root, 'volumes'), { recursive: true });
      const fh = await open(this.file(n), newVolume ? 'wx' : 'r+');
      try {
        if (newVolume) {
          const label = Buffer.alloc(VOLUME_LABEL_SIZE);
          label.write('BATONVOL');
          label.write(JSON.stringify({ drive: this.driveId, volume: n }), 8);
          await fh.write(label, 0, label.length, 0);
        }
        await writeAll(fh, parts, offset);
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (newVolume) await fsyncDir(join(this.root, 'volumes'));
    } catch (err) {
      if (errnoCode(err) === 'ENOSPC' || errnoCode(err) === 'EDQUOT') {
        throw new DriveFullError(this.root, `no space left on the device holding volume ${volumeName(n)}`);
      }
      throw err;
    }
    return { location: { id, length, volume: n, offset }, newVolume };
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
