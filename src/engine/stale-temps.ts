/**
 * Temporary files a crash left on a drive. Every writer on a drive writes `<name>.tmp-<12 hex>` and
 * renames it into place (fsutil.ts atomicWrite: config, index, snapshots, refs, locks, keys, the
 * tape pool and volume labels; drive-directory.ts: packs under data/<ab>/), and lock.ts renames a
 * stale lock aside as `<name>.tmp-stale-<12 hex>` before judging it again. A writer killed between
 * the two steps leaves the temp file for ever. Prune (under the drive's exclusive lock) removes the
 * ones last modified longer ago than the lock stale age: a writer that may still be at work (a
 * backup on another drive writing its refs here, a process taking a lock) wrote its file moments
 * ago, and no writer keeps a temp file open that long without refreshing its own lock.
 *
 * Only regular files directly in the drive's directories are judged: the walk never follows a
 * symbolic link (to a directory or a file), so nothing outside the drive is read or removed.
 */
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './errors';

/** `<name>.tmp-<hex>` and `<name>.tmp-stale-<hex>`, as the writers above name them. */
const TEMP_NAME = /\.tmp-(?:stale-)?[0-9a-f]{12}$/;

/** How deep temp files can lie under the drive's root: data/<ab>/<pack>.tmp-<hex> is two levels down. */
const MAX_DEPTH = 2;

export interface StaleTemps {
  /** temp files removed (or, in a dry run, that would be) */
  files: number;
  bytes: number;
}

export interface StaleTempOptions {
  /** files last modified more than this long ago are stale (the lock stale age) */
  olderThanMs: number;
  now: number;
  /** only count */
  dryRun?: boolean;
  /** called before each removal: throws when the caller's lock was lost */
  beforeRemove?: () => void;
}

/** Removes (or counts) the stale temp files under the drive at `root`. */
export async function removeStaleTemps(root: string, opts: StaleTempOptions): Promise<StaleTemps> {
  const found: StaleTemps = { files: 0, bytes: 0 };
  await sweep(root, 0, opts, found);
  return found;
}

async function sweep(dir: string, depth: number, opts: StaleTempOptions, found: StaleTemps): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    // Dirent types come from the directory entry itself (lstat): a symlink is neither of these
    if (e.isDirectory()) {
      if (depth < MAX_DEPTH) await sweep(path, depth + 1, opts, found);
    } else if (e.isFile() && TEMP_NAME.test(e.name)) {
      await removeIfStale(path, opts, found);
    }
  }
}

async function removeIfStale(path: string, opts: StaleTempOptions, found: StaleTemps): Promise<void> {
  // judged as it is now: renamed into place or removed since the listing, it is gone
  const st = await lstat(path).catch(() => null);
  if (st === null || !st.isFile() || opts.now - st.mtimeMs <= opts.olderThanMs) return;
  if (!opts.dryRun) {
    opts.beforeRemove?.();
    try {
      await unlink(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
  }
  found.files++;
  found.bytes += st.size;
}
