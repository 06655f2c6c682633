/**
 * A plain file copy of an app's data to a drive directory, in a deterministic walk order, with
 * progress after every file. The data engine (src/engine) replaces it with deduplicated,
 * encrypted snapshots; the activity keeps the same shape.
 */
import { copyFile, lstat, mkdir, readdir, readlink, symlink } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { BackupOutcome } from '../workflows/types';

export interface CopyProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
  lastPath: string | null;
}

interface Entry {
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  size: number;
}

async function walk(root: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const visit = async (path: string) => {
    const st = await lstat(path);
    if (st.isDirectory()) {
      out.push({ path, kind: 'dir', size: 0 });
      const names = (await readdir(path)).sort();
      for (const name of names) await visit(join(path, name));
    } else if (st.isSymbolicLink()) {
      out.push({ path, kind: 'symlink', size: 0 });
    } else if (st.isFile()) {
      out.push({ path, kind: 'file', size: st.size });
    }
  };
  await visit(root);
  return out;
}

export async function copyTree(opts: {
  sources: string[];
  target: string;
  signal?: AbortSignal;
  onProgress?: (p: CopyProgress) => void;
}): Promise<BackupOutcome> {
  const started = Date.now();
  const plans = await Promise.all(opts.sources.map(async (source) => ({ source, entries: await walk(source) })));
  const files = plans.flatMap((p) => p.entries).filter((e) => e.kind === 'file');
  const progress: CopyProgress = {
    files: 0,
    bytes: 0,
    totalFiles: files.length,
    totalBytes: files.reduce((n, e) => n + e.size, 0),
    lastPath: null,
  };
  await mkdir(opts.target, { recursive: true });
  for (const [index, { source, entries }] of plans.entries()) {
    const base = join(opts.target, `${index}-${basename(source)}`);
    for (const entry of entries) {
      opts.signal?.throwIfAborted();
      const dest = join(base, relative(source, entry.path));
      if (entry.kind === 'dir') await mkdir(dest, { recursive: true });
      else if (entry.kind === 'symlink') await symlink(await readlink(entry.path), dest);
      else {
        await copyFile(entry.path, dest);
        progress.files++;
        progress.bytes += entry.size;
        progress.lastPath = entry.path;
        opts.onProgress?.({ ...progress });
      }
    }
  }
  opts.onProgress?.({ ...progress });
  return { files: progress.files, bytes: progress.bytes, durationMs: Date.now() - started, location: opts.target };
}
