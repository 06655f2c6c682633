/**
 * Baton's interim data path: a plain file copy of an app's data to a drive, resumable from a
 * checkpoint, committed by a manifest. The data engine (src/engine) replaces it with
 * deduplicated, encrypted snapshots; the activity keeps the same shape.
 *
 * Each attempt copies into its own part directory. Entries are visited in a deterministic walk
 * order; a checkpoint says how many entries are durable (fsynced) and which part holds which
 * range. A resumed attempt starts at the checkpoint's cursor in a new part, possibly on another
 * drive. The commit writes manifest.json (atomically, after fsync) listing every entry and its
 * part: a restore reads only what the manifest names, so a fenced attempt's late files are inert.
 */
import {
  copyFile,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';

export const COPY_FORMAT = 'copy-v0';

export interface Part {
  /** The part's root directory (one attempt's copy). */
  root: string;
  /** Entry indexes [from, to) in walk order held by this part. */
  from: number;
  to: number;
}

export interface CopyCheckpoint {
  format: typeof COPY_FORMAT;
  /** Entries [0, cursor) are durable in `parts`. */
  cursor: number;
  files: number;
  bytes: number;
  lastPath: string | null;
  parts: Part[];
}

export interface CopyProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
  lastPath: string | null;
}

export interface CopyResult {
  files: number;
  bytes: number;
  durationMs: number;
  /** The committed manifest. */
  manifest: string;
  parts: Part[];
  /** Bytes this attempt read that an earlier attempt had already made durable (0 when resumed exactly). */
  rereadBytes: number;
}

interface Entry {
  /** Path relative to the snapshot root: `<source index>-<source basename>/...`. */
  path: string;
  source: string;
  kind: 'file' | 'dir' | 'symlink';
  size: number;
}

export interface Manifest {
  format: 'baton-copy-manifest-v0';
  entries: { path: string; kind: Entry['kind']; root: string; size: number }[];
}

/** Lists the sources in Baton's walk order: sources in order, names sorted, parents before children. */
export async function walk(sources: string[]): Promise<Entry[]> {
  const out: Entry[] = [];
  const visit = async (source: string, rel: string) => {
    const st = await lstat(source);
    if (st.isDirectory()) {
      out.push({ path: rel, source, kind: 'dir', size: 0 });
      for (const name of (await readdir(source)).sort()) await visit(join(source, name), join(rel, name));
    } else if (st.isSymbolicLink()) {
      out.push({ path: rel, source, kind: 'symlink', size: 0 });
    } else if (st.isFile()) {
      out.push({ path: rel, source, kind: 'file', size: st.size });
    }
  };
  for (const [i, source] of sources.entries()) await visit(source, `${i}-${basename(source)}`);
  return out;
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface CopyOptions {
  sources: string[];
  /** This attempt's part root. */
  root: string;
  /** Where the commit writes manifest.json. */
  manifestDir: string;
  resumeFrom?: CopyCheckpoint | null;
  signal?: AbortSignal;
  /** Called before every write and before the commit; throwing aborts with no further effect (fencing). */
  beforeWrite?: () => Promise<void>;
  onProgress?: (p: CopyProgress) => void;
  /** Called with each checkpoint once the data it names is durable. */
  onCheckpoint?: (c: CopyCheckpoint) => Promise<void>;
  checkpointEvery?: { ms: number; bytes: number };
  /** Bytes per second to read at most; 0 or absent: no limit. */
  bandwidthLimit?: number;
}

/** Paces reads to a byte rate, sleeping in slices short enough to notice cancellation. */
async function pace(startedMs: number, bytes: number, limit: number | undefined, signal?: AbortSignal): Promise<void> {
  if (!limit) return;
  let wait = startedMs + (bytes / limit) * 1000 - Date.now();
  while (wait > 0) {
    signal?.throwIfAborted();
    await new Promise((r) => setTimeout(r, Math.min(wait, 200)));
    wait = startedMs + (bytes / limit) * 1000 - Date.now();
  }
}

export async function copyTree(opts: CopyOptions): Promise<CopyResult> {
  const started = Date.now();
  const entries = await walk(opts.sources);
  const files = entries.filter((e) => e.kind === 'file');
  const resume = opts.resumeFrom ?? null;
  if (resume && (resume.format !== COPY_FORMAT || resume.cursor > entries.length)) {
    throw new Error(
      `checkpoint (format ${resume.format}, cursor ${resume.cursor}) does not fit this data; restart fresh`,
    );
  }
  const start = resume?.cursor ?? 0;
  const progress: CopyProgress = {
    files: resume?.files ?? 0,
    bytes: resume?.bytes ?? 0,
    totalFiles: files.length,
    totalBytes: files.reduce((n, e) => n + e.size, 0),
    lastPath: resume?.lastPath ?? null,
  };
  const every = opts.checkpointEvery ?? { ms: 15_000, bytes: 256 * 1024 * 1024 };
  const unsynced: string[] = [];
  let lastCheckpointAt = Date.now();
  let bytesSinceCheckpoint = 0;

  const checkpoint = async (cursor: number): Promise<CopyCheckpoint> => {
    for (const path of unsynced.splice(0)) await fsyncPath(path);
    const cp: CopyCheckpoint = {
      format: COPY_FORMAT,
      cursor,
      files: progress.files,
      bytes: progress.bytes,
      lastPath: progress.lastPath,
      parts: [...(resume?.parts ?? []), ...(cursor > start ? [{ root: opts.root, from: start, to: cursor }] : [])],
    };
    lastCheckpointAt = Date.now();
    bytesSinceCheckpoint = 0;
    return cp;
  };

  await mkdir(opts.root, { recursive: true });
  for (let i = start; i < entries.length; i++) {
    opts.signal?.throwIfAborted();
    const entry = entries[i];
    await pace(started, progress.bytes - (resume?.bytes ?? 0), opts.bandwidthLimit, opts.signal);
    await opts.beforeWrite?.();
    const dest = join(opts.root, entry.path);
    if (entry.kind === 'dir') {
      await mkdir(dest, { recursive: true });
      continue;
    }
    await mkdir(dirname(dest), { recursive: true });
    if (entry.kind === 'symlink') {
      await symlink(await readlink(entry.source), dest).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      continue;
    }
    await copyFile(entry.source, dest);
    unsynced.push(dest);
    progress.files++;
    progress.bytes += entry.size;
    progress.lastPath = entry.source;
    bytesSinceCheckpoint += entry.size;
    opts.onProgress?.({ ...progress });
    if (opts.onCheckpoint && (Date.now() - lastCheckpointAt >= every.ms || bytesSinceCheckpoint >= every.bytes)) {
      await opts.onCheckpoint(await checkpoint(i + 1));
    }
  }
  const final = await checkpoint(entries.length);
  const partOf = (index: number) => final.parts.find((p) => index >= p.from && index < p.to);
  const manifest: Manifest = {
    format: 'baton-copy-manifest-v0',
    entries: entries.map((e, index) => ({
      path: e.path,
      kind: e.kind,
      size: e.size,
      root: partOf(index)?.root ?? opts.root,
    })),
  };
  await opts.beforeWrite?.();
  await mkdir(opts.manifestDir, { recursive: true });
  const manifestPath = join(opts.manifestDir, 'manifest.json');
  const tmp = `${manifestPath}.tmp`;
  await writeFile(tmp, JSON.stringify(manifest));
  await fsyncPath(tmp);
  await rename(tmp, manifestPath);
  await fsyncPath(opts.manifestDir);
  opts.onProgress?.({ ...progress });
  return {
    files: progress.files,
    bytes: progress.bytes,
    durationMs: Date.now() - started,
    manifest: manifestPath,
    parts: final.parts,
    rereadBytes: 0,
  };
}

/** Restores a committed manifest into `target`, refusing any entry that would land outside it. */
export async function restoreManifest(manifestPath: string, target: string): Promise<{ files: number; bytes: number }> {
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
  if (manifest.format !== 'baton-copy-manifest-v0') {
    throw new Error(`${manifestPath} has unknown format ${String(manifest.format)}; this Baton cannot restore it`);
  }
  let files = 0;
  let bytes = 0;
  for (const entry of manifest.entries) {
    const rel = normalize(entry.path);
    if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
      throw new Error(`manifest entry ${entry.path} would be restored outside ${target}; refusing to restore it`);
    }
    const dest = join(target, rel);
    if (relative(target, dest).startsWith('..')) {
      throw new Error(`manifest entry ${entry.path} would be restored outside ${target}; refusing to restore it`);
    }
    if (entry.kind === 'dir') await mkdir(dest, { recursive: true });
    else if (entry.kind === 'symlink') {
      await mkdir(dirname(dest), { recursive: true });
      await symlink(await readlink(join(entry.root, rel)), dest);
    } else {
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(join(entry.root, rel), dest);
      files++;
      bytes += entry.size;
    }
  }
  return { files, bytes };
}
