/**
 * Prune's plan, apart from any I/O: which indexed packs stay (a blob in use, or pinned by another
 * drive's snapshot through refs/), which go, and which packs on the drive are in no index at all
 * (left by an interrupted backup) and go too, unless younger than the grace window: those are
 * spared, in case a writer prune cannot see (see docs/repository-format.md, Locks) still needs them.
 */
import type { ListedPack, PackLocation } from './drive-store';
import type { IndexPack } from './index-file';

export interface PrunePlan {
  keep: IndexPack[];
  drop: IndexPack[];
  orphans: PackLocation[];
  /** orphans younger than the grace window, left in place */
  spared: PackLocation[];
}

/** Orphans written less than `ms` before `now` are spared. */
export interface Grace {
  now: number;
  ms: number;
}

/** `indexed` in index order; `present` as the drive lists its packs. */
export function planPrune(
  indexed: Iterable<IndexPack>,
  used: ReadonlySet<string>,
  pinned: ReadonlySet<string>,
  present: (PackLocation & Partial<Pick<ListedPack, 'mtimeMs'>>)[],
  grace: Grace = { now: 0, ms: 0 },
): PrunePlan {
  const keep: IndexPack[] = [];
  const drop: IndexPack[] = [];
  const ids = new Set<string>();
  for (const pack of indexed) {
    ids.add(pack.id);
    if (pinned.has(pack.id) || pack.blobs.some((b) => used.has(b.id))) keep.push(pack);
    else drop.push(pack);
  }
  const orphans: PackLocation[] = [];
  const spared: PackLocation[] = [];
  for (const p of present) {
    if (ids.has(p.id)) continue;
    const young = p.mtimeMs !== undefined && grace.now - p.mtimeMs < grace.ms;
    (young ? spared : orphans).push({ id: p.id, length: p.length });
  }
  return { keep, drop, orphans, spared };
}
