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
import type { PackLocation, PackStore, WrittenPack } from './drive-store';

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

  private file(n: number): string {
    return join(this.root, 'volumes', volumeName(n));
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
    if (loc.volume === undefined || loc.offset === undefined) {
      throw new CorruptionError(`pack ${loc.id} has no volume position in the index`, loc.id);
    }
    return { file: this.file(loc.volume), offset: loc.offset };
  }

  async readPack(loc: PackLocation, offset: number, length: number): Promise<Buffer> {
    if (loc.volume === undefined || loc.offset === undefined) {
      throw new CorruptionError(`pack ${loc.id} has no volume position in the index`, loc.id);
    }
    const fh = await open(this.file(loc.volume), 'r');
    try {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, loc.offset + offset);
      return bytesRead === length ? buf : buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async packSize(loc: PackLocation): Promise<number | null> {
    if (loc.volume === undefined || loc.offset === undefined) return null;
    try {
      const size = (await stat(this.file(loc.volume))).size;
      return Math.max(0, Math.min(loc.length, size - loc.offset));
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

  listPacks(): Promise<PackLocation[]> {
    return Promise.resolve([]);
  }
}
