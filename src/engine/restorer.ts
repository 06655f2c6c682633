/**
 * The restorer: writes a snapshot (or a subtree of it) into a target directory.
 *
 * 1. load the snapshot and the index of every drive it uses;
 * 2. walk the tree depth first; refuse names that are empty, `.`, `..` or contain `/`, and never
 *    write through a symlink (files are opened with O_NOFOLLOW, directories checked with lstat);
 * 3. write file contents in worker threads (restore-pool.ts): each reads, verifies (GCM tag and
 *    content ID) and writes its chunks; all-zero 64 KiB blocks are skipped (holes), the size set
 *    with ftruncate; small files go many to a message, big ones are split over every worker;
 * 4. recreate hard links among restored files, fifos and (as root) devices, then set owner (when
 *    permitted), extended attributes, mode and mtime, directories last so their mtimes stick.
 * The drive's shared lock is held throughout, so a prune cannot delete packs being read.
 * An interrupted restore leaves a partial target; running it again into the same target finishes
 * it (files are rewritten, links replaced).
 */
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, symlink, unlink, utimes } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Drive } from './drive';
import { Drive as DriveClass } from './drive';
import { BlobIndex, readBlob } from './index-file';
import { readSnapshot, resolveSnapshotId } from './snapshot';
import type { Snapshot } from './snapshot';
import { decodeTree, nodeNameBytes, symlinkTargetBytes } from './tree';
import type { TreeNode } from './tree';
import { CorruptionError, EngineError, PathEscapeError, errnoCode, throwIfAborted } from './errors';
import { noopProgress } from './progress';
import type { ProgressCounters, ProgressReporter } from './progress';
import { childPath } from './walker';
import { RestorePool } from './restore-pool';
import { DEFAULT_WORKERS } from './worker-start';
import type { FileMeta } from './restore-worker';
import { Lock } from './lock';
import { applyXattrs } from './xattrs';
import { createSpecial, specialSkipReason } from './special-files';

export interface RestoreOptions {
  /** the drive holding the snapshot, then any other drives it uses (opened by recorded path otherwise) */
  drive: Drive;
  otherDrives?: Drive[];
  password?: string;
  snapshotId: string;
  target: string;
  /** a path inside the snapshot, e.g. "etc/app"; its contents go directly into target */
  subtree?: string;
  signal?: AbortSignal;
  progress?: ProgressReporter;
  /** worker threads reading, verifying and writing chunks (default 2) */
  workers?: number;
}

export interface RestoreResult {
  files: number;
  dirs: number;
  bytes: number;
  /** entries not restored (sockets; devices when not root), with why */
  skipped: { path: string; message: string }[];
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
      `tree ${id} is not in the index of any drive of the snapshot; run \`baton repo verify\``,
      undefined,
      id,
    );
  }
  return decodeTree(await readBlob(loc), id).nodes;
}

function checkName(n: TreeNode, parent: string): Buffer {
  const name = nodeNameBytes(n);
  const shown = `${parent}/${n.name}`;
  if (name.length === 0) throw new PathEscapeError(shown, 'empty file name');
  if (name.includes(0x2f)) throw new PathEscapeError(shown, 'the name contains "/"');
  if (name.includes(0)) throw new PathEscapeError(shown, 'the name contains a NUL byte');
  if (name.equals(Buffer.from('.')) || name.equals(Buffer.from('..'))) {
    throw new PathEscapeError(shown, 'the name is "." or ".." and would leave its directory');
  }
  return name;
}

/** files larger than this are opened here and written by every worker at once, in parts */
const SPLIT_BYTES = 16 * 1024 * 1024;

/**
 * A node's mtime as Node's utimes wants it: seconds as a double. libuv truncates to microseconds,
 * so aim at the middle of the microsecond, where the double's rounding cannot fall into the one below.
 */
function mtimeOf(n: TreeNode): number {
  const ns = BigInt(n.mtimeNs);
  return Number(ns / 1_000_000_000n) + (Number((ns % 1_000_000_000n) / 1000n) * 1000 + 500) / 1e9;
}

/**
 * Creates a link or symlink at `path`; if a file or symlink from an earlier (interrupted) restore
 * is there, it is replaced. A directory in the way is refused.
 */
async function replacing(path: Buffer, create: () => Promise<void>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    if ((await lstat(path)).isDirectory()) {
      throw new PathEscapeError(path.toString(), 'a directory is in the way of a link');
    }
    await unlink(path);
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
  const signal = opts.signal;
  throwIfAborted(signal, 'restore');
  const progress = opts.progress ?? noopProgress;
  const snapId = await resolveSnapshotId(opts.drive, opts.snapshotId);
  const snap = await readSnapshot(opts.drive, snapId);
  const { index, drives } = await openSnapshotDrives(opts.drive, snap, opts.otherDrives, opts.password);

  let nodes = await loadTree(index, snap.tree);
  for (const part of (opts.subtree ?? '').split('/').filter((p) => p !== '' && p !== '.')) {
    const n = nodes.find((x) => x.name === part);
    if (!n || n.type !== 'dir' || !n.subtree) {
      throw new EngineError(
        `no directory ${opts.subtree} in snapshot ${snapId.slice(0, 12)}; check the path`,
        'NO_SUBTREE',
      );
    }
    nodes = await loadTree(index, n.subtree);
  }

  const target = Buffer.from(resolve(opts.target));
  await mkdir(target, { recursive: true });
  const counters: ProgressCounters = { files: 0, dirs: 0, bytes: 0, newBytes: 0, errors: 0 };
  const result: RestoreResult = { files: 0, dirs: 0, bytes: 0, skipped: [], warnings: [] };
  const links = new Map<string, Promise<Buffer>>();
  const isRoot = process.getuid?.() === 0;
  const pool = new RestorePool(drives, opts.workers ?? DEFAULT_WORKERS);
  const onAbort = (): void => pool.abort();
  signal?.addEventListener('abort', onAbort);

  // after chown (which drops security.capability) and before chmod (user.* needs write access)
  const setXattrs = async (path: Buffer, n: TreeNode): Promise<void> => {
    if (!n.xattrs) return;
    for (const message of await applyXattrs(path, n.xattrs)) result.warnings.push({ path: path.toString(), message });
  };

  const setMeta = async (path: Buffer, n: TreeNode): Promise<void> => {
    if (isRoot) await lchown(path, n.uid, n.gid).catch(() => undefined);
    await setXattrs(path, n);
    const mtime = mtimeOf(n);
    if (n.type === 'symlink') {
      await lutimes(path, mtime, mtime).catch(() => undefined);
      return;
    }
    await chmod(path, n.mode);
    await utimes(path, mtime, mtime);
  };

  const writeContent = async (path: Buffer, n: TreeNode): Promise<void> => {
    const chunks = (n.content ?? []).map((id) => {
      const loc = index.get(id);
      if (!loc) {
        throw new CorruptionError(
          `chunk ${id} of ${path.toString()} is not on any drive of the snapshot; run \`baton repo verify\``,
          undefined,
          id,
        );
      }
      return loc;
    });
    const size = chunks.reduce((sum, c) => sum + c.blob.rawLength, 0);
    const meta: FileMeta = { mode: n.mode, mtime: mtimeOf(n), owner: isRoot ? { uid: n.uid, gid: n.gid } : undefined };
    if (size <= SPLIT_BYTES && !n.xattrs) {
      // a worker opens (O_NOFOLLOW), writes, sizes and closes it, and sets meta through the descriptor
      // (files with extended attributes, which are rare, take the main thread's path below)
      await pool.writeFile(path, chunks, size, meta);
    } else {
      const fh = await open(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
        0o600,
      ).catch((err: Error) => {
        if (errnoCode(err) === 'ELOOP') {
          throw new PathEscapeError(path.toString(), 'a symlink is in the way in the target');
        }
        throw err;
      });
      try {
        await fh.truncate(size); // sized first: the parts are written in any order, holes stay holes
        await pool.writeInto(path, fh.fd, chunks);
        // metadata through the open file: no path lookups, and hard links share it
        if (meta.owner) await fh.chown(meta.owner.uid, meta.owner.gid).catch(() => undefined);
        await setXattrs(path, n); // after chown (which drops security.capability), before chmod
        await fh.chmod(meta.mode);
        await fh.utimes(meta.mtime, meta.mtime);
      } finally {
        await fh.close();
      }
    }
    counters.bytes += size;
  };

  const restoreFile = async (path: Buffer, n: TreeNode): Promise<void> => {
    if (n.links && n.links > 1 && n.inode) {
      const first = links.get(n.inode);
      if (first) {
        const firstPath = await first;
        await replacing(path, () => link(firstPath, path));
        counters.files++;
        result.files++;
        return;
      }
      const done = writeContent(path, n).then(() => path);
      done.catch(() => undefined);
      links.set(n.inode, done);
      await done;
    } else {
      await writeContent(path, n);
    }
    counters.files++;
    result.files++;
    progress.update({ ...counters, currentPath: path.toString() });
  };

  // files are handed to the pool as far ahead as it takes them; the first failure stops the
  // workers. Directory metadata is set at the end, deepest first
  const running = new Set<Promise<void>>();
  let failure: unknown = null;
  const schedule = async (job: () => Promise<void>): Promise<void> => {
    await pool.ready();
    if (failure !== null) throw failure as Error;
    const p: Promise<void> = job()
      .catch((err: unknown) => {
        failure ??= err;
        pool.abort();
      })
      .finally(() => running.delete(p));
    running.add(p);
  };
  const dirsDone: { path: Buffer; node: TreeNode }[] = [];

  const restoreDir = async (dir: Buffer, list: TreeNode[], shown: string): Promise<void> => {
    const seen = new Set<string>();
    for (const n of list) {
      throwIfAborted(signal, 'restore');
      const name = checkName(n, shown);
      const key = name.toString('hex');
      if (seen.has(key)) throw new PathEscapeError(`${shown}/${n.name}`, 'the name appears twice in one directory');
      seen.add(key);
      const path = childPath(dir, name);
      switch (n.type) {
        case 'dir': {
          try {
            await mkdir(path, { mode: 0o700 });
          } catch (err) {
            if (errnoCode(err) !== 'EEXIST') throw err;
            if (!(await lstat(path)).isDirectory()) {
              throw new PathEscapeError(
                path.toString(),
                'something that is not a directory (maybe a symlink) is in the way',
              );
            }
          }
          await restoreDir(path, n.subtree ? await loadTree(index, n.subtree) : [], `${shown}/${n.name}`);
          dirsDone.push({ path, node: n });
          break;
        }
        case 'file':
          await schedule(() => restoreFile(path, n));
          break;
        case 'symlink':
          await replacing(path, () => symlink(symlinkTargetBytes(n), path));
          await setMeta(path, n);
          break;
        default: {
          const why = specialSkipReason(n, isRoot) ?? (await createSpecial(n, path, target));
          if (why !== null) result.skipped.push({ path: path.toString(), message: why });
          else await setMeta(path, n);
        }
      }
    }
  };

  try {
    await restoreDir(target, nodes, '');
    await Promise.all(running);
    if (failure !== null) throw failure as Error;
    for (const { path, node } of dirsDone) {
      await setMeta(path, node);
      counters.dirs++;
      result.dirs++;
    }
  } catch (err) {
    await Promise.all(running);
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await pool.close();
  }
  result.bytes = counters.bytes;
  progress.update(counters);
  return result;
}
