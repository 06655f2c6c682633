/**
 * Per-app file cache: path -> (size, mtime, ctime, inode, chunk list). A file whose lstat matches
 * and whose chunks are all on the drive is not read again, so unchanged re-runs are quick.
 * Kept on local disk (not on the drive); losing it only costs time.
 */
import { readFile } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { atomicWrite } from './fsutil';

interface CacheEntry {
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  content: string[];
}

interface CacheFile {
  version: 1;
  driveId: string;
  entries: Record<string, CacheEntry>;
}

export function defaultCachePath(driveId: string, app: string | undefined): string {
  const base = process.env.BATON_CACHE_DIR ?? join(homedir(), '.cache', 'baton', 'files');
  return join(base, `${driveId}-${(app ?? 'default').replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export class FileCache {
  private next: Record<string, CacheEntry> = {};

  private constructor(
    private readonly path: string,
    private readonly driveId: string,
    private readonly old: Record<string, CacheEntry>,
  ) {}

  static async load(path: string, driveId: string): Promise<FileCache> {
    try {
      const f = JSON.parse(await readFile(path, 'utf8')) as CacheFile;
      if (f.version === 1 && f.driveId === driveId && typeof f.entries === 'object') {
        return new FileCache(path, driveId, f.entries);
      }
    } catch {
      // no cache or an unreadable one: start empty
    }
    return new FileCache(path, driveId, {});
  }

  lookup(path: Buffer, st: BigIntStats): string[] | null {
    const e = this.old[path.toString('hex')];
    if (!e) return null;
    if (e.size !== Number(st.size) || e.mtimeNs !== st.mtimeNs.toString() || e.ctimeNs !== st.ctimeNs.toString()) {
      return null;
    }
    return e.ino === st.ino.toString() ? e.content : null;
  }

  record(path: Buffer, st: BigIntStats, content: string[]): void {
    this.next[path.toString('hex')] = {
      size: Number(st.size),
      mtimeNs: st.mtimeNs.toString(),
      ctimeNs: st.ctimeNs.toString(),
      ino: st.ino.toString(),
      content,
    };
  }

  /** Saves this run's entries; with `keepOld` (a resumed run) older entries stay too. */
  async save(keepOld: boolean): Promise<void> {
    const entries = keepOld ? { ...this.old, ...this.next } : this.next;
    const f: CacheFile = { version: 1, driveId: this.driveId, entries };
    await atomicWrite(this.path, Buffer.from(JSON.stringify(f)));
  }
}
