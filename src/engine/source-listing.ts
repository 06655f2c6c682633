/**
 * Where the walk starts: the sources' root listing (a single directory's entries, or the sources
 * themselves by base name), and the paths it must never back up.
 */
import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Drive } from './drive';
import { EngineError } from './errors';
import type { FileCache } from './file-cache';
import { listDir } from './walker';
import type { Entry } from './walker';

export async function rootListing(sources: string[]): Promise<{ entries: Entry[]; single: boolean }> {
  if (sources.length === 1) {
    const p = Buffer.from(sources[0]);
    const st = await lstat(p).catch((err: Error) => {
      throw new EngineError(`cannot back up ${sources[0]}: ${err.message}; check the path`, 'BAD_SOURCE');
    });
    if (st.isDirectory()) return { entries: await listDir(p), single: true };
  }
  const entries = sources.map((s) => ({ name: Buffer.from(basename(s) || s), path: Buffer.from(s) }));
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i].name.equals(entries[i - 1].name)) {
      throw new EngineError(
        `two sources have the same base name ${entries[i].name.toString()}; back them up in separate snapshots`,
        'BAD_SOURCE',
      );
    }
  }
  for (const e of entries) {
    await lstat(e.path).catch((err: Error) => {
      throw new EngineError(`cannot back up ${e.path.toString()}: ${err.message}; check the path`, 'BAD_SOURCE');
    });
  }
  return { entries, single: false };
}

/** A path as the walk compares it with its exclusions (the latin1 text of its bytes). */
export function walkKey(path: string): string {
  return Buffer.from(path).toString('latin1');
}

/** Never back up a drive (or the file cache) that lies inside a source: their paths, as the walk compares them. */
export function excludedPaths(drives: Iterable<Drive>, cachePath: string | null, cache: FileCache | null): Set<string> {
  return new Set(
    [...drives]
      .map((d) => d.path)
      .concat(cachePath && cache ? [cachePath, cache.tempPath] : [])
      .map(walkKey),
  );
}
