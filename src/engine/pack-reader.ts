/**
 * Reads blobs for restore: keeps a few pack files open (LRU) instead of opening one per blob, and
 * decodes (decrypt, decompress, verify) in the worker pool, so the caller's event loop stays free.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { BlobLocation } from './index-file';
import type { WorkerPool } from './worker-pool';
import { CorruptionError } from './errors';

const MAX_OPEN = 16;

export class PackReader {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(private readonly pool: WorkerPool) {}

  private handle(file: string): Promise<FileHandle> {
    let h = this.handles.get(file);
    if (h) {
      this.handles.delete(file);
      this.handles.set(file, h);
      return h;
    }
    h = open(file, 'r');
    h.catch(() => this.handles.delete(file));
    this.handles.set(file, h);
    if (this.handles.size > MAX_OPEN) {
      const [oldest, fh] = this.handles.entries().next().value as [string, Promise<FileHandle>];
      this.handles.delete(oldest);
      // let reads already started on it finish before closing
      setTimeout(() => void fh.then((f) => f.close()).catch(() => undefined), 1000).unref();
    }
    return h;
  }

  async read(loc: BlobLocation): Promise<Buffer> {
    const { file, offset } = loc.drive.packs.packFile(loc.pack);
    const fh = await this.handle(file);
    const stored = Buffer.allocUnsafeSlow(loc.blob.length);
    const { bytesRead } = await fh.read(stored, 0, stored.length, offset + loc.blob.offset);
    const where = `pack ${loc.pack.id} on drive ${loc.drive.path}`;
    if (bytesRead !== stored.length) {
      throw new CorruptionError(
        `blob ${loc.blob.id} in ${where} is cut short; the pack is damaged`,
        loc.pack.id,
        loc.blob.id,
      );
    }
    const res = await this.pool.decode({ key: loc.drive.key, data: stored, ref: loc.blob, where });
    if (res.error) throw new CorruptionError(res.error.message, loc.pack.id, loc.blob.id);
    return Buffer.from(res.plain.buffer, res.plain.byteOffset, res.plain.byteLength);
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map((h) => h.then((f) => f.close()).catch(() => undefined)));
  }
}
