/**
 * Deterministic walk: entries sorted by raw name bytes, depth first, directories entered before
 * their contents. Resuming from a checkpoint skips everything at or before its cursor, re-enters
 * the open directories with their finished entries, and continues a partly read file. Each entry's
 * extended attributes are read with its lstat.
 */
import { lstatSync } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import type { Checkpoint, CheckpointFrame, CheckpointPartial } from './checkpoint';
import { statBatch, type EntryStats } from './entry-stats';
import { nodeNameBytes } from './tree';
import { readXattrs } from './xattrs';
import type { Xattr } from './xattrs';

export interface Entry {
  name: Buffer;
  path: Buffer;
  /** lstat result fetched with the listing, or the error it gave */
  st?: EntryStats | Error;
  /** extended attributes read with the lstat (absent when there are none) */
  xattrs?: Xattr[];
  /** what of the extended attributes could not be read */
  xattrWarning?: string;
}

/** What an entry carries besides its lstat result. */
type Meta = { xattrs?: Xattr[]; xattrWarning?: string };

export type WalkEvent =
  | ({ t: 'enter'; name: Buffer; path: Buffer; st?: EntryStats; resumed?: CheckpointFrame } & Meta)
  | { t: 'leave' }
  | ({ t: 'file'; name: Buffer; path: Buffer; st: EntryStats; partial?: CheckpointPartial } & Meta)
  | ({ t: 'symlink'; name: Buffer; path: Buffer; st: EntryStats; target: Buffer } & Meta)
  | ({ t: 'other'; name: Buffer; path: Buffer; st: EntryStats } & Meta)
  | { t: 'error'; name: Buffer; path: Buffer; message: string };

const SLASH = Buffer.from('/');

export function childPath(dir: Buffer, name: Buffer): Buffer {
  return dir.length > 0 && dir[dir.length - 1] === 0x2f
    ? Buffer.concat([dir, name])
    : Buffer.concat([dir, SLASH, name]);
}

const STAT_SLICE = 512;

/**
 * lstat, then the extended attributes (one llistxattr when there are none), both synchronous like
 * the rest of the listing: for an entry the batch could not stat (its error is Node's), and a
 * source given on the command line.
 */
function statEntry(e: Entry): void {
  try {
    e.st = lstatSync(e.path, { bigint: true });
  } catch (err) {
    e.st = err as Error;
    return;
  }
  readXattrsOf(e);
}

function readXattrsOf(e: Entry): void {
  const x = readXattrs(e.path);
  e.xattrs = x.xattrs;
  e.xattrWarning = x.warning;
}

/**
 * The entries' lstat and xattrs, in one native call (entry-stats.ts); the few with attributes, or
 * whose lstat failed, are asked again the ordinary way, so their attributes, errors and warnings
 * are exactly what statEntry gives.
 */
function statEntries(entries: Entry[]): void {
  const found = statBatch(entries.map((e) => e.path));
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const f = found[i];
    if (!('st' in f)) {
      statEntry(e);
      continue;
    }
    e.st = f.st;
    if (f.xattrs !== 'none') readXattrsOf(e);
  }
}

/**
 * Sorted listing of a directory, each entry lstat-ed and its xattrs listed. The calls are
 * synchronous (a promise per entry cost four times as much, and a backup of many small files
 * waited on them), a slice per native call with a yield between, so the event loop is never held
 * for more than a millisecond or two.
 */
export async function listDir(path: Buffer): Promise<Entry[]> {
  const names = await readdir(path, { encoding: 'buffer' });
  const entries: Entry[] = names
    .sort((a, b) => Buffer.compare(a, b))
    .map((name) => ({ name, path: childPath(path, name) }));
  for (let i = 0; i < entries.length; i += STAT_SLICE) {
    if (i > 0) await new Promise((r) => setImmediate(r));
    statEntries(entries.slice(i, i + STAT_SLICE));
  }
  return entries;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Walks a sorted listing at `depth` (0 = the snapshot root). */
export async function* walkListing(
  entries: Entry[],
  depth: number,
  resume: Checkpoint | null,
  exclude: Set<string> = new Set(),
): AsyncGenerator<WalkEvent> {
  let openChild: Buffer | null = null;
  let partialName: Buffer | null = null;
  let lastDone: Buffer | null = null;
  let handled = false;
  if (resume) {
    const frames = resume.frames;
    if (depth + 1 < frames.length) {
      openChild = Buffer.from(frames[depth + 1].name ?? '', 'hex');
    } else if (resume.partial) {
      partialName = Buffer.from(resume.partial.name, 'hex');
    } else {
      const f = frames[depth];
      if (f.last !== undefined) lastDone = Buffer.from(f.last, 'hex');
      else if (f.nodes.length > 0) lastDone = nodeNameBytes(f.nodes[f.nodes.length - 1]);
    }
  }
  for (const e of entries) {
    if (exclude.size > 0 && exclude.has(e.path.toString('latin1'))) continue;
    if (openChild && !handled) {
      const c = Buffer.compare(e.name, openChild);
      if (c < 0) continue;
      handled = true;
      if (c === 0) {
        yield* resumeDir(e, depth, resume as Checkpoint, exclude);
        continue;
      }
      yield* resumeDir({ name: openChild, path: Buffer.alloc(0) }, depth, resume as Checkpoint, exclude);
    } else if (partialName && !handled) {
      const c = Buffer.compare(e.name, partialName);
      if (c < 0) continue;
      handled = true;
      if (c === 0) {
        yield* visit(e, depth, exclude, resume?.partial);
        continue;
      }
    } else if (lastDone && Buffer.compare(e.name, lastDone) <= 0) {
      continue;
    }
    yield* visit(e, depth, exclude);
  }
  if (openChild && !handled)
    yield* resumeDir({ name: openChild, path: Buffer.alloc(0) }, depth, resume as Checkpoint, exclude);
}

/** Re-enters a directory that was open at the checkpoint (even if it has gone since). */
async function* resumeDir(
  e: Entry,
  depth: number,
  resume: Checkpoint,
  exclude: Set<string>,
): AsyncGenerator<WalkEvent> {
  const frame = resume.frames[depth + 1];
  let children: Entry[] = [];
  if (e.path.length > 0) {
    try {
      const st = await lstat(e.path, { bigint: true });
      if (st.isDirectory()) children = await listDir(e.path);
    } catch {
      children = [];
    }
  }
  yield { t: 'enter', name: e.name, path: e.path, resumed: frame };
  yield* walkListing(children, depth + 1, resume, exclude);
  yield { t: 'leave' };
}

async function* visit(
  e: Entry,
  depth: number,
  exclude: Set<string>,
  partial?: CheckpointPartial,
): AsyncGenerator<WalkEvent> {
  let st: EntryStats;
  try {
    if (e.st === undefined) statEntry(e); // a source given on the command line
    const got = e.st as EntryStats | Error;
    if (got instanceof Error) throw got;
    st = got;
  } catch (err) {
    yield { t: 'error', name: e.name, path: e.path, message: describe(err) };
    return;
  }
  const meta: Meta = { xattrs: e.xattrs, xattrWarning: e.xattrWarning };
  if (st.isDirectory()) {
    let children: Entry[];
    try {
      children = await listDir(e.path);
    } catch (err) {
      yield { t: 'error', name: e.name, path: e.path, message: describe(err) };
      return;
    }
    yield { t: 'enter', name: e.name, path: e.path, st, ...meta };
    yield* walkListing(children, depth + 1, null, exclude);
    yield { t: 'leave' };
  } else if (st.isFile()) {
    yield { t: 'file', name: e.name, path: e.path, st, partial, ...meta };
  } else if (st.isSymbolicLink()) {
    try {
      const target = await readlink(e.path, { encoding: 'buffer' });
      yield { t: 'symlink', name: e.name, path: e.path, st, target, ...meta };
    } catch (err) {
      yield { t: 'error', name: e.name, path: e.path, message: describe(err) };
    }
  } else {
    yield { t: 'other', name: e.name, path: e.path, st, ...meta };
  }
}
