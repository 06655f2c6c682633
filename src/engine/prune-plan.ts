/**
 * Prune's plan, apart from any I/O: which indexed packs stay (a blob in use, or pinned by another
 * drive's snapshot through refs/), which go, and which packs on the drive are in no index at all
 * (left by an interrupted backup) and go too.
 */
import type { PackLocation } from './drive-store';
import type { IndexPack } from './index-file';

export interface PrunePlan {
  keep: IndexPack[];
  drop: IndexPack[];
  orphans: PackLocation[];
}

/** `indexed` in index order; `present` as the drive lists its packs. */
export function planPrune(
  indexed: Iterable<IndexPack>,
  used: ReadonlySet<string>,
  pinned: ReadonlySet<string>,
  present: PackLocation[],
): PrunePlan {
  const keep: IndexPack[] = [];
  const drop: IndexPack[] = [];
  const ids = new Set<string>();
  for (const pack of indexed) {
    ids.add(pack.id);
    if (pinned.has(pack.id) || pack.blobs.some((b) => used.has(b.id))) keep.push(pack);
    else drop.push(pack);
  }
  return { keep, drop, orphans: present.filter((p) => !ids.has(p.id)) };
}
