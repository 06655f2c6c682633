/**
 * Which entries of a snapshot a restore of several paths writes. Each path (a file or a directory
 * inside the snapshot) is checked and found in the trees before anything is written: a path that
 * leaves the snapshot or is not in it is refused with the path named.
 */
import { EngineError } from './errors';
import type { TreeNode } from './tree';

/**
 * Entries to restore in one directory, by name: null restores the entry whole; a nested selection
 * restores the directory and, inside it, only what that selection names.
 */
export type Selection = Map<string, Selection | null>;

/** A path inside a snapshot as its parts: relative, no `.` or empty parts; `..` refused. */
export function pathParts(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new EngineError(`path ${path} leaves the snapshot; name a file or directory inside it`, 'PATH_ESCAPE');
  }
  if (parts.length === 0) {
    throw new EngineError(
      `path "${path}" names the whole snapshot; leave the paths out to restore all of it`,
      'NO_PATH',
    );
  }
  return parts;
}

/** Adds one path's parts to a selection; an entry already restored whole stays whole. */
export function addToSelection(selection: Selection, parts: string[]): void {
  let level = selection;
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const there = level.get(part);
    if (there === null) return;
    if (last) {
      level.set(part, null);
      return;
    }
    const next: Selection = there ?? new Map<string, Selection | null>();
    level.set(part, next);
    level = next;
  }
}

/** Finds a path's entry in the trees; null when any part of it is missing. */
async function findEntry(
  root: TreeNode[],
  parts: string[],
  loadTree: (id: string) => Promise<TreeNode[]>,
): Promise<TreeNode | null> {
  let nodes = root;
  let found: TreeNode | null = null;
  for (const part of parts) {
    if (found) {
      if (found.type !== 'dir') return null;
      nodes = found.subtree ? await loadTree(found.subtree) : [];
    }
    found = nodes.find((n) => n.name === part) ?? null;
    if (!found) return null;
  }
  return found;
}

/**
 * The entries to restore for `paths`: one directory alone gives its own entries with no selection
 * (its contents go directly into the target, as a `subtree` restore); anything else gives the root
 * entries and a selection, so each path lands at its relative position under the target.
 */
export async function selectPaths(
  root: TreeNode[],
  paths: string[],
  loadTree: (id: string) => Promise<TreeNode[]>,
  snapshot: string,
): Promise<{ nodes: TreeNode[]; selection?: Selection }> {
  const selection: Selection = new Map();
  const entries: TreeNode[] = [];
  for (const path of paths) {
    const parts = pathParts(path);
    const entry = await findEntry(root, parts, loadTree);
    if (!entry) {
      throw new EngineError(
        `no file or directory ${parts.join('/')} in snapshot ${snapshot}; check the path (it is relative to the snapshot's root, e.g. data/tables)`,
        'NO_PATH',
      );
    }
    entries.push(entry);
    addToSelection(selection, parts);
  }
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only?.type === 'dir') return { nodes: only.subtree ? await loadTree(only.subtree) : [] };
  return { nodes: root, selection };
}
