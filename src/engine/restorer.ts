/**
 * The restorer: writes a snapshot (or a subtree of it) into a target directory.
 *
 * 1. load the snapshot and the index of every drive it uses;
 * 2. walk the tree depth first; refuse names that are empty, `.`, `..` or contain `/`, and never
 *    write through a symlink: every directory is opened O_NOFOLLOW through its parent's descriptor
 *    and its entries reached through its own (restore-dirs.ts), files are created O_EXCL|O_NOFOLLOW,
 *    metadata set through descriptors, so a directory swapped for a symlink mid-restore redirects
 *    nothing;
 * 3. write file contents in worker threads (restore-pool.ts): each reads, verifies (GCM tag and
 *    content ID) and writes its chunks; all-zero 64 KiB blocks are skipped (holes), the size set
 *    with ftruncate; small files go many to a message, big ones are split over every worker;
 * 4. recreate hard links among restored files, fifos and (as root) devices, then set owner (when
 *    permitted), extended attributes, mode and mtime, directories last so their mtimes stick.
 * The drive's shared lock is held throughout, so a prune cannot delete packs being read.
 * An interrupted restore leaves a partial target; running it again into the same target finishes
 * it (files are rewritten, links replaced).
 */
import { fchmod, fchown } from 'node:fs';
import { lchown, link, lstat, symlink, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Drive } from './drive';
import { Drive as DriveClass } from './drive';
import { BlobIndex, readBlob } from './index-file';
import type { BlobLocation } from './index-file';
import { readSnapshot, resolveSnapshotId } from './snapshot';
import type { Snapshot } from './snapshot';
import { decodeTree, linkKey, symlinkTargetBytes } from './tree';
import type { TreeNode } from './tree';
import { CorruptionError, EngineError, PathEscapeError, errnoCode, throwIfAborted } from './errors';
import { noopProgress } from './progress';
import { RateLimiter } from './rate-limit';
import type { ProgressCounters, ProgressReporter } from './progress';
import { RestorePool } from './restore-pool';
import { DEFAULT_WORKERS } from './worker-start';
import type { FileMeta } from './restore-worker';
import { Lock } from './lock';
import { applyXattrs } from './xattrs';
import { chmodSpecial, createSpecial, specialSkipReason } from './special-files';
import { fileTimeOf, futimens, lutimens } from './file-times';
import { DirNames } from './restore-entry';
import { openNewFile } from './restore-open';
import { selectPaths } from './restore-paths';
import { DirChain, makeChild, openTarget } from './restore-dirs';
import type { TargetDir } from './restore-dirs';
import { promisify } from 'node:util';
import type { Selection } from './restore-paths';

export interface RestoreOptions {
  /** the drive holding the snapshot, then any other drives it uses (opened by recorded path otherwise) */
  drive: Drive;
  otherDrives?: Drive[];
  password?: string;
  snapshotId: string;
  target: string;
  /** a path inside the snapshot, e.g. "etc/app"; its contents go directly into target */
  subtree?: string;
  /**
   * files or directories inside the snapshot, e.g. ["etc/app.conf", "data"]: each is restored at its
   * relative position under target, with its parent directories; a single directory alone keeps the
   * `subtree` layout (its contents into target). Every one must exist, checked before anything is written.
   */
  paths?: string[];
  signal?: AbortSignal;
  progress?: ProgressReporter;
  /** worker threads reading, verifying and writing chunks (default 2) */
  workers?: number;
  /** bytes per second the restore may write; 0 or absent: no limit */
  rateLimit?: number;
  /** skip device nodes (as root they are made by default, as tar does) */
  noDevices?: boolean;
  /** restore modes without their setuid and setgid bits */
  noSetuid?: boolean;
}

export interface RestoreResult {
  files: number;
  dirs: number;
  bytes: number;
  /** entries not restored (sockets; devices when not root or with noDevices), with why */
  skipped: { path: string; message: string }[];
  /** entries restored without their setuid/setgid bits (noSetuid) */
  setuidStripped?: number;
  /** metadata not restored (extended attributes the process may not set), with why */
  warnings: { path: string; message: string }[];
}

/** Opens every drive a snapshot uses and builds one blob index over them. */
export async function openSnapshotDrives(
  drive: Drive,
  snap: Snapshot,
  others: Drive[] = [],
  password?: string,
): Promise<{ index: BlobIndex; drives: Drive[] }> {
  const byId = new Map<string, Drive>([[drive.id, drive]]);
  for (const d of others) byId.set(d.id, d);
  const index = await BlobIndex.load(drive);
  const drives = [drive];
  for (const ref of snap.drives) {
    if (ref.id === drive.id) continue;
    let d = byId.get(ref.id);
    if (!d) {
      try {
        d = await DriveClass.open(ref.path, { password });
      } catch (err) {
        throw new EngineError(
          `snapshot uses drive ${ref.id} at ${ref.path}, which cannot be opened (${(err as Error).message}); ` +
            `make it available at that path or pass it with another --drive`,
          'MISSING_DRIVE',
        );
      }
      if (d.id !== ref.id) {
        throw new EngineError(
          `drive at ${ref.path} is ${d.id}, the snapshot needs ${ref.id}; pass the right drive`,
          'WRONG_DRIVE',
        );
      }
    }
    const other = await BlobIndex.load(d);
    for (const { drive: od, pack } of other.packs.values()) index.addPack(od, pack);
    drives.push(d);
  }
  return { index, drives };
}

export async function loadTree(index: BlobIndex, id: string): Promise<TreeNode[]> {
  const loc = index.get(id);
  if (!loc) {
    throw new CorruptionError(
      `tree ${id} is not in the index of any drive of the snapshot; run \`baton repo verify\`, and if an index file was lost, \`baton repo repair index\` on the drive`,
      undefined,
      id,
    );
  }
  return decodeTree(await readBlob(loc), id).nodes;
}

/** files larger than this are opened here and written by every worker at once, in parts */
const SPLIT_BYTES = 16 * 1024 * 1024;

const fchmodFd = promisify(fchmod);
const fchownFd = promisify(fchown);

/** Where an entry is restored: `at` for the calls (through its directory's descriptor), `shown` for messages. */
interface Place {
  at: Buffer;
  shown: Buffer;
}

/**
 * Creates a link or symlink at `at`; if a file or symlink from an earlier (interrupted) restore
 * is there, it is replaced. A directory in the way is refused.
 */
async function replacing({ at, shown }: Place, create: () => Promise<void>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    if ((await lstat(at)).isDirectory()) {
      throw new PathEscapeError(shown.toString(), 'a directory is in the way of a link');
    }
    await unlink(at);
    await create();
  }
}

/** Restores under the drive's shared lock (see lock.ts), so `prune` cannot run meanwhile. */
export async function restore(opts: RestoreOptions): Promise<RestoreResult> {
  throwIfAborted(opts.signal, 'restore');
  const lock = await Lock.acquireReader(opts.drive, 'restore');
  try {
    return await restoreLocked(opts);
  } finally {
    await lock?.release().catch(() => undefined);
  }
}

async function restoreLocked(opts: RestoreOptions): Promise<RestoreResult> {
  throwIfAborted(opts.signal, 'restore');
  const { index, drives, nodes, selection } = await openSource(opts);
  const target = await openTarget(Buffer.from(resolve(opts.target)));
  try {
    return await new RestoreRun(opts, index, drives, target).run(nodes, selection);
  } finally {
    await target.release();
  }
}

/** The snapshot, the index over every drive it uses, and the entries of the tree to restore. */
async function openSource(
  opts: RestoreOptions,
): Promise<{ index: BlobIndex; drives: Drive[]; nodes: TreeNode[]; selection?: Selection }> {
  const snapId = await resolveSnapshotId(opts.drive, opts.snapshotId);
  const snap = await readSnapshot(opts.drive, snapId);
  const { index, drives } = await openSnapshotDrives(opts.drive, snap, opts.otherDrives, opts.password);
  const root = await loadTree(index, snap.tree);
  const shortSnap = snapId.slice(0, 12);
  if (opts.paths && opts.paths.length > 0) {
    const picked = await selectPaths(root, opts.paths, (id) => loadTree(index, id), shortSnap);
    return { index, drives, ...picked };
  }
  let nodes = root;
  for (const part of (opts.subtree ?? '').split('/').filter((p) => p !== '' && p !== '.')) {
    const n = nodes.find((x) => x.name === part);
    if (!n || n.type !== 'dir' || !n.subtree) {
      throw new EngineError(`no directory ${opts.subtree} in snapshot ${shortSnap}; check the path`, 'NO_SUBTREE');
    }
    nodes = await loadTree(index, n.subtree);
  }
  return { index, drives, nodes };
}

function sameContent(a: TreeNode, b: TreeNode): boolean {
  const x = a.content ?? [];
  const y = b.content ?? [];
  return a.size === b.size && x.length === y.length && x.every((id, i) => id === y[i]);
}

/**
 * One restore into `target`: the directory walk creates directories, symlinks and special files as
 * it goes and hands files to the pool as far ahead as it takes them; the first failure stops the
 * workers. Directory metadata is set at the end, deepest first.
 */
class RestoreRun {
  private readonly signal: AbortSignal | undefined;
  private readonly progress: ProgressReporter;
  private readonly counters: ProgressCounters = { files: 0, dirs: 0, bytes: 0, newBytes: 0, errors: 0 };
  private readonly result: RestoreResult = { files: 0, dirs: 0, bytes: 0, skipped: [], warnings: [] };
  /** where the first of each hard-linked file (by device and inode: linkKey) was written, once written */
  private readonly links = new Map<
    string,
    { done: Promise<{ parts: readonly Buffer[]; name: Buffer }>; node: TreeNode }
  >();
  private readonly isRoot = process.getuid?.() === 0;
  private readonly pool: RestorePool;
  private readonly limiter: RateLimiter | null;
  private readonly running = new Set<Promise<void>>();
  private failure: unknown = null;
  /** directories walked, deepest first: their names below the target */
  private readonly dirsDone: { parts: readonly Buffer[]; node: TreeNode }[] = [];
  private readonly noDevices: boolean;
  private readonly noSetuid: boolean;

  constructor(
    opts: RestoreOptions,
    private readonly index: BlobIndex,
    drives: Drive[],
    private readonly target: TargetDir,
  ) {
    this.signal = opts.signal;
    this.progress = opts.progress ?? noopProgress;
    this.pool = new RestorePool(drives, opts.workers ?? DEFAULT_WORKERS);
    this.limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit, 'restore') : null;
    this.noDevices = opts.noDevices ?? false;
    this.noSetuid = opts.noSetuid ?? false;
    if (this.noSetuid) this.result.setuidStripped = 0;
  }

  /** The node as restored: without setuid/setgid bits under noSetuid (counted). */
  private withOptions(n: TreeNode): TreeNode {
    if (!this.noSetuid || (n.mode & 0o6000) === 0) return n;
    this.result.setuidStripped = (this.result.setuidStripped ?? 0) + 1;
    return { ...n, mode: n.mode & ~0o6000 };
  }

  private skipReason(n: TreeNode): string | null {
    if (this.noDevices && (n.type === 'char' || n.type === 'block')) return 'device node not restored: --no-devices';
    return specialSkipReason(n, this.isRoot);
  }

  async run(nodes: TreeNode[], selection?: Selection): Promise<RestoreResult> {
    const { signal, pool, running, counters, result } = this;
    const onAbort = (): void => pool.abort();
    signal?.addEventListener('abort', onAbort);
    try {
      await this.restoreDir(this.target, nodes, '', selection);
      await Promise.all(running);
      if (this.failure !== null) throw this.failure as Error;
      await this.setDirsMeta();
    } catch (err) {
      await Promise.all(running);
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await pool.close();
    }
    result.bytes = counters.bytes;
    this.progress.update(counters);
    return result;
  }

  /**
   * The directory walk, depth first; files go to the pool, everything else is made here. With a
   * selection, only the entries it names are restored (a partial one: the directory, then inside it
   * only what the selection names there).
   */
  private async restoreDir(dir: TargetDir, list: TreeNode[], shown: string, selection?: Selection): Promise<void> {
    const names = new DirNames(shown);
    for (const entry of list) {
      throwIfAborted(this.signal, 'restore');
      const inner = selection?.get(entry.name);
      if (selection && inner === undefined) continue;
      const n = this.withOptions(entry);
      const name = names.take(n);
      const place = { at: dir.at(name), shown: dir.shownChild(name) };
      switch (n.type) {
        case 'dir': {
          const child = await makeChild(dir, name);
          try {
            const children = n.subtree ? await loadTree(this.index, n.subtree) : [];
            await this.restoreDir(child, children, `${shown}/${n.name}`, inner ?? undefined);
          } finally {
            await child.release(); // closed once its files are written too
          }
          this.dirsDone.push({ parts: child.parts, node: n });
          break;
        }
        case 'file':
          await this.schedule(() => {
            dir.hold();
            return this.restoreFile(dir, name, place, n).finally(() => dir.release());
          });
          break;
        case 'symlink':
          await replacing(place, () => symlink(symlinkTargetBytes(n), place.at));
          await this.setMeta(place, n);
          break;
        default: {
          const why = this.skipReason(n) ?? (await createSpecial(n, dir, name));
          if (why !== null) this.result.skipped.push({ path: place.shown.toString(), message: why });
          else await this.setMeta(place, n);
        }
      }
    }
  }

  /** Starts `job` once the pool takes more work; a failure so far stops the walk instead. */
  private async schedule(job: () => Promise<void>): Promise<void> {
    await this.pool.ready();
    if (this.failure !== null) throw this.failure as Error;
    const p: Promise<void> = job()
      .catch((err: unknown) => {
        this.failure ??= err;
        this.pool.abort();
      })
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** A file, or a hard link to the first restored path of its inode (which waits for that one). */
  private async restoreFile(dir: TargetDir, name: Buffer, place: Place, n: TreeNode): Promise<void> {
    const { counters, result } = this;
    const key = linkKey(n);
    const first = key === undefined ? undefined : this.links.get(key);
    // a tree from before devices were recorded may give files of two file systems one inode
    // number: only a file with the same content can be another link of it
    if (first && sameContent(first.node, n)) {
      await this.linkTo(await first.done, place);
      counters.files++;
      result.files++;
      return;
    }
    if (key !== undefined && !first) {
      const done = this.writeContent(place, n).then(() => ({ parts: dir.parts, name }));
      done.catch(() => undefined);
      this.links.set(key, { done, node: n });
      await done;
    } else {
      await this.writeContent(place, n);
    }
    counters.files++;
    result.files++;
    this.progress.update({ ...counters, currentPath: place.shown.toString() });
  }

  /** A hard link at `place` to the file first written as `name` in the directory at `parts`. */
  private async linkTo(first: { parts: readonly Buffer[]; name: Buffer }, place: Place): Promise<void> {
    const chain = new DirChain(this.target); // its directory opened again, one O_NOFOLLOW step at a time
    try {
      const from = (await chain.open(first.parts)).at(first.name);
      await replacing(place, () => link(from, place.at));
    } finally {
      await chain.close();
    }
  }

  private async writeContent(place: Place, n: TreeNode): Promise<void> {
    const { at, shown: path } = place;
    const chunks = this.locate(path, n);
    const size = chunks.reduce((sum, c) => sum + c.blob.rawLength, 0);
    await this.limiter?.take(size, this.signal);
    const meta: FileMeta = {
      mode: n.mode,
      mtime: fileTimeOf(n.mtimeNs),
      owner: this.isRoot ? { uid: n.uid, gid: n.gid } : undefined,
    };
    if (size <= SPLIT_BYTES && !n.xattrs) {
      // a worker opens (O_NOFOLLOW), writes, sizes and closes it, and sets meta through the descriptor
      // (files with extended attributes, which are rare, take the main thread's path below)
      await this.pool.writeFile(at, chunks, size, meta, path);
    } else {
      await this.writeSplit(place, n, chunks, size, meta);
    }
    this.counters.bytes += size;
  }

  private locate(path: Buffer, n: TreeNode): BlobLocation[] {
    return (n.content ?? []).map((id) => {
      const loc = this.index.get(id);
      if (!loc) {
        throw new CorruptionError(
          `chunk ${id} of ${path.toString()} is not on any drive of the snapshot; run \`baton repo verify\`, and if an index file was lost, \`baton repo repair index\` on the drive`,
          undefined,
          id,
        );
      }
      return loc;
    });
  }

  /** A big file (or one with extended attributes): opened here, its parts written by every worker. */
  private async writeSplit(
    place: Place,
    n: TreeNode,
    chunks: BlobLocation[],
    size: number,
    meta: FileMeta,
  ): Promise<void> {
    const fh = await openNewFile(place.at, place.shown); // never an inode that is already there
    try {
      await fh.truncate(size); // sized first: the parts are written in any order, holes stay holes
      await this.pool.writeInto(place.shown, fh.fd, chunks);
      // metadata through the open file: no path lookups, and hard links share it
      if (meta.owner) await fh.chown(meta.owner.uid, meta.owner.gid).catch(() => undefined);
      await this.setXattrs(place, n); // after chown (which drops security.capability), before chmod (lsetxattr)
      await fh.chmod(meta.mode);
      futimens(fh.fd, meta.mtime);
    } finally {
      await fh.close();
    }
  }

  /**
   * The metadata pass over directories, deepest first, so that writing into them is done. Each is
   * opened again from the target, one O_NOFOLLOW step at a time (DirChain): one replaced meanwhile
   * is refused, naming it.
   */
  private async setDirsMeta(): Promise<void> {
    const chain = new DirChain(this.target);
    try {
      for (const { parts, node } of this.dirsDone) {
        await this.setDirMeta(await chain.open(parts), node);
        this.counters.dirs++;
        this.result.dirs++;
      }
    } finally {
      await chain.close();
    }
  }

  /** A symlink's or special file's owner, attributes, mode and times; none follows a symlink. */
  private async setMeta(place: Place, n: TreeNode): Promise<void> {
    const { at, shown } = place;
    if (this.isRoot) await lchown(at, n.uid, n.gid).catch(() => undefined);
    await this.setXattrs(place, n);
    const mtime = fileTimeOf(n.mtimeNs);
    if (n.type === 'symlink') {
      try {
        lutimens(at, mtime); // the link's own times, to the nanosecond
      } catch {
        // as before: a symlink whose times cannot be set keeps the ones it was made with
      }
      return;
    }
    await chmodSpecial(at, shown, n.mode);
    lutimens(at, mtime);
  }

  /** A directory's owner, attributes, mode and mtime through its descriptor. */
  private async setDirMeta(dir: TargetDir, n: TreeNode): Promise<void> {
    if (this.isRoot) await fchownFd(dir.fd, n.uid, n.gid).catch(() => undefined);
    await this.setXattrs({ at: dir.self(), shown: dir.shown }, n);
    await fchmodFd(dir.fd, n.mode);
    futimens(dir.fd, fileTimeOf(n.mtimeNs));
  }

  // after chown (which drops security.capability) and before chmod (user.* needs write access)
  private async setXattrs({ at, shown }: Place, n: TreeNode): Promise<void> {
    if (!n.xattrs) return;
    for (const message of await applyXattrs(at, n.xattrs)) {
      this.result.warnings.push({ path: shown.toString(), message });
    }
  }
}
