/**
 * Pack storage of a `directory` drive: one file per pack under data/<ab>/<packid>, each written
 * to a temp file (with O_DIRECT where the file system allows it, see direct-write.ts), fsynced,
 * renamed into place, directory fsynced (the last three in the background until `sync()`).
 * ENOSPC becomes DriveFullError.
 */
import { lstat, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir } from './fsutil';
import { PackFileWriter } from './direct-write';
import { CorruptionError, DriveFullError, errnoCode } from './errors';
import type { ListedPack, PackLocation, PackStore, WrittenPack } from './drive-store';
import { isUint, packPathId } from './validate';

export class DirectoryPackStore implements PackStore {
  private readonly writer = new PackFileWriter();

  constructor(private readonly root: string) {}

  /** data/<ab>/<id>; refuses anything but an ID (validate.ts), so no pack path leaves the drive. */
  private file(id: string): string {
    packPathId(id, this.root);
    return join(this.root, 'data', id.slice(0, 2), id);
  }

  private readonly syncing = new Set<Promise<void>>();
  private syncError: unknown = null;

  private full(err: unknown, what: string): unknown {
    const code = errnoCode(err);
    return code === 'ENOSPC' || code === 'EDQUOT'
      ? new DriveFullError(this.root, `no space left writing ${what}`)
      : err;
  }

  /**
   * Writes the pack to a temp file and returns; its fsync, rename into place and directory fsync
   * run in the background (at most 4 at a time) so the next pack is written meanwhile. `sync()`
   * waits for them: callers must call it before any index lists the pack.
   */
  async writePack(id: string, parts: Buffer[], length: number): Promise<WrittenPack> {
    if (this.syncError !== null) throw this.syncError as Error;
    while (this.syncing.size >= 4) await Promise.race(this.syncing);
    const file = this.file(id);
    const dir = join(this.root, 'data', id.slice(0, 2));
    const tmp = join(dir, `${id}.tmp-${randomBytes(6).toString('hex')}`);
    const what = `pack ${id.slice(0, 12)}, ${length} bytes`;
    let fh: FileHandle;
    try {
      await mkdir(dir, { recursive: true });
      fh = await this.writer.create(tmp, parts, length);
    } catch (err) {
      throw this.full(err, what);
    }
    const done: Promise<void> = (async () => {
      try {
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, file);
        await fsyncDir(dir);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        this.syncError ??= this.full(err, what);
      }
    })().finally(() => this.syncing.delete(done));
    this.syncing.add(done);
    return { location: { id, length }, newVolume: false };
  }

  async sync(): Promise<void> {
    await Promise.all(this.syncing);
    if (this.syncError !== null) throw this.syncError as Error;
  }

  packFile(loc: PackLocation): { file: string; offset: number } {
    return { file: this.file(loc.id), offset: 0 };
  }

  /** Reads `length` bytes at `offset` of the pack; never allocates past the pack file's end. */
  async readPack(loc: PackLocation, offset: number, length: number): Promise<Buffer> {
    const fh = await open(this.file(loc.id), 'r');
    try {
      if (!isUint(offset, loc.length) || !isUint(length, loc.length - offset)) {
        throw new Error(`bug: read of ${length} bytes at ${offset} in pack ${loc.id} of ${loc.length} bytes`);
      }
      length = Math.max(0, Math.min(length, (await fh.stat()).size - offset));
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return bytesRead === length ? buf : buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async packSize(loc: PackLocation): Promise<number | null> {
    try {
      return (await stat(this.file(loc.id))).size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
  }

  /**
   * Unlinks data/<ab>/<id>, but only in a real data/<ab> directory: one that is a symlink (planted
   * on the drive) would make the unlink land outside the drive.
   */
  async deletePack(loc: PackLocation): Promise<boolean> {
    const file = this.file(loc.id);
    const st = await lstat(dirname(file)).catch(() => null);
    if (st && !st.isDirectory()) {
      throw new CorruptionError(
        `${dirname(file)} on drive ${this.root} is not a directory (a symlink?); refusing to delete pack ${loc.id} through it. ` +
          `Run \`baton repo verify --drive ${this.root}\``,
        loc.id,
      );
    }
    try {
      await unlink(file);
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async listPacks(): Promise<ListedPack[]> {
    const out: ListedPack[] = [];
    let subdirs: string[];
    try {
      subdirs = await readdir(join(this.root, 'data'));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return out;
      throw err;
    }
    for (const sub of subdirs.sort()) {
      // only real data/<ab> directories: a symlink there must not make prune see (and delete) files elsewhere
      if (!/^[0-9a-f]{2}$/.test(sub) || !(await lstat(join(this.root, 'data', sub))).isDirectory()) continue;
      for (const name of (await readdir(join(this.root, 'data', sub))).sort()) {
        if (!/^[0-9a-f]{64}$/.test(name)) continue;
        const st = await stat(join(this.root, 'data', sub, name));
        out.push({ id: name, length: st.size, mtimeMs: st.mtimeMs });
      }
    }
    return out;
  }

  readonly appendOnly = false;
}
