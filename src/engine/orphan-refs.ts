/**
 * Final refs with nothing behind them. A backup that uses packs of another drive writes
 * `refs/<snapshot id>` there before its snapshot (backup-commit.ts), so the snapshot never names
 * packs a prune there could take. A backup killed between the two writes, or fenced off at the
 * snapshot (its epoch went stale after the refs were written), leaves the refs without a snapshot;
 * so does a forget whose snapshot's other drive was away. Such refs pin their packs for ever.
 *
 * A final refs file is an orphan when the drive holding its snapshot is open to prune (given as
 * one of its other drives: refs name it only by ID) and, there, the snapshot is absent and no live
 * backup lock stands (a backup between its refs and its snapshot holds one), and the refs file
 * itself is older than the lock stale age. Anything else stays: the snapshot's drive away, a
 * snapshot present, a backup alive, a file just written. Provisional refs (a resumed backup's pins)
 * are judged by their own life instead (lock-rules.ts provisionalExpired).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Drive } from './drive';
import { readLocks, staleContext } from './lock';
import { isStale } from './lock-rules';
import type { Refs } from './validate';

/** Why the refs file `name` on `drive` is an orphan, or null when something may stand behind it. */
export async function orphanReason(
  drive: Drive,
  name: string,
  refs: Refs,
  others: readonly Drive[],
  staleMs: number,
): Promise<string | null> {
  if (refs.provisional) return null;
  const holder = others.find((d) => d.id === refs.drive && d.id !== drive.id);
  if (!holder) return null; // its drive is not here: nothing can be said
  const mtimeMs = await stat(join(drive.path, 'refs', name)).then(
    (st) => st.mtimeMs,
    () => null,
  );
  if (mtimeMs === null || Date.now() - mtimeMs <= staleMs) return null;
  if ((await holder.list('snapshots')).includes(name)) return null;
  const ctx = staleContext();
  const live = (await readLocks(holder)).find((l) => l.lock.purpose === 'backup' && !isStale(l.lock, l.mtimeMs, ctx));
  if (live) return null;
  return `snapshot ${name} is not on drive ${holder.path} and no backup holds that drive`;
}
