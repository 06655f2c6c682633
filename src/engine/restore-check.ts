/**
 * Compares a restored directory with the snapshot it came from, entry by entry of the snapshot's
 * trees: every file must be there, a regular file, of the snapshot's size and mode, and its bytes,
 * cut at the recorded lengths of its chunks, must hash to the chunks' content IDs; directories
 * must be directories of the snapshot's mode, symlinks must point where the snapshot says. Special
 * files (fifos, devices) are not compared: a restore may skip them. Stops at the first difference.
 * With a selection (a sample of paths), only the entries it names are compared.
 */
import { lstat, open, readlink } from 'node:fs/promises';
import type { BlobIndex } from './index-file';
import { blobId } from './hash';
import { throwIfAborted } from './errors';
import type { Selection } from './restore-paths';
import { nodeNameBytes, symlinkTargetBytes, type TreeNode } from './tree';
import { childPath } from './walker';

export interface RestoreDifference {
  /** Relative to the snapshot's root. */
  path: string;
  problem: string;
}

export interface CheckResult {
  files: number;
  bytes: number;
  difference: RestoreDifference | null;
}

const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

async function kindAt(path: Buffer): Promise<{ kind: string; size: number; mode: number } | null> {
  try {
    const st = await lstat(path);
    const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'special file';
    return { kind, size: st.size, mode: st.mode & 0o7777 };
  } catch {
    return null;
  }
}

/** How a restored file's bytes differ from its chunks, or null when every chunk matches. */
async function contentProblem(index: BlobIndex, n: TreeNode, path: Buffer): Promise<string | null> {
  const ids = n.content ?? [];
  const handle = await open(path, 'r');
  try {
    let offset = 0;
    for (const [i, id] of ids.entries()) {
      const loc = index.get(id);
      if (!loc) return `chunk ${id.slice(0, 12)} (${i + 1} of ${ids.length}) is in no index of the snapshot's drives`;
      const length = loc.blob.rawLength;
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, offset);
      if (bytesRead !== length || blobId(loc.drive.ids.idKey, buf) !== id) {
        return `content differs from the snapshot at bytes ${offset}-${offset + length - 1} (chunk ${i + 1} of ${ids.length})`;
      }
      offset += length;
    }
    return null;
  } finally {
    await handle.close();
  }
}

/** How one restored entry differs from its tree node, or null when it matches (or is not compared). */
async function entryProblem(index: BlobIndex, n: TreeNode, path: Buffer): Promise<string | null> {
  if (n.type !== 'file' && n.type !== 'dir' && n.type !== 'symlink') return null;
  const found = await kindAt(path);
  if (!found) return `is missing from the restore (a ${n.type} in the snapshot)`;
  if (found.kind !== n.type) return `is a ${found.kind} in the restore but a ${n.type} in the snapshot`;
  if (n.type === 'symlink') {
    const target = await readlink(path, { encoding: 'buffer' });
    const want = symlinkTargetBytes(n);
    return target.equals(want)
      ? null
      : `points to ${target.toString()} in the restore but to ${want.toString()} in the snapshot`;
  }
  if (found.mode !== n.mode) return `has mode ${octal(found.mode)} in the restore but ${octal(n.mode)} in the snapshot`;
  if (n.type === 'dir') return null;
  if (found.size !== n.size) return `has ${found.size} bytes in the restore but ${n.size} in the snapshot`;
  return contentProblem(index, n, path);
}

export interface CheckOptions {
  index: BlobIndex;
  loadTree: (id: string) => Promise<TreeNode[]>;
  /** The restored directory (the restore's target). */
  target: string;
  signal?: AbortSignal;
  /** Called after each file compared. */
  onFile?: (files: number, bytes: number, path: string) => void;
}

/** Compares `target` with the entries `nodes` (the snapshot's root), limited to `selection` when given. */
export async function checkRestored(
  opts: CheckOptions,
  nodes: TreeNode[],
  selection?: Selection,
): Promise<CheckResult> {
  const result: CheckResult = { files: 0, bytes: 0, difference: null };
  const visit = async (dir: Buffer, list: TreeNode[], shown: string, sel?: Selection): Promise<boolean> => {
    for (const n of list) {
      throwIfAborted(opts.signal, 'restore test');
      const inner = sel?.get(n.name);
      if (sel && inner === undefined) continue;
      const path = childPath(dir, nodeNameBytes(n));
      const rel = shown ? `${shown}/${n.name}` : n.name;
      const problem = await entryProblem(opts.index, n, path);
      if (problem) {
        result.difference = { path: rel, problem };
        return false;
      }
      if (n.type === 'file') {
        result.files++;
        result.bytes += n.size ?? 0;
        opts.onFile?.(result.files, result.bytes, rel);
      }
      if (n.type === 'dir' && n.subtree) {
        if (!(await visit(path, await opts.loadTree(n.subtree), rel, inner ?? undefined))) return false;
      }
    }
    return true;
  };
  await visit(Buffer.from(opts.target), nodes, '', selection);
  return result;
}

/** The paths of every regular file under `nodes`, in tree order (the population a sample is drawn from). */
export async function filePaths(nodes: TreeNode[], loadTree: (id: string) => Promise<TreeNode[]>): Promise<string[]> {
  const paths: string[] = [];
  const visit = async (list: TreeNode[], shown: string): Promise<void> => {
    for (const n of list) {
      const rel = shown ? `${shown}/${n.name}` : n.name;
      if (n.type === 'file') paths.push(rel);
      else if (n.type === 'dir' && n.subtree) await visit(await loadTree(n.subtree), rel);
    }
  };
  await visit(nodes, '');
  return paths;
}
