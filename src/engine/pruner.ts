/**
 * Forget and prune. `forget` removes snapshots that a keep policy (last / hourly / daily / weekly /
 * monthly / yearly, per app and paths) does not keep. `prune` removes packs no snapshot and no foreign reference
 * uses: it writes one new index that supersedes all others, then deletes unused packs, then the
 * old index files, so an interruption leaves extra data, never missing data. Both take the drive's
 * exclusive lock, so they never run beside a backup; prune takes over stale locks, proves its lock
 * and checks that nothing new appeared on the drive just before it deletes, supersedes only the
 * index files it loaded, and spares unindexed packs younger than the stale age. Tape volumes are
 * append-only: prune drops unused packs from the index there, and recycles a whole volume once
 * none of its packs is kept (tape-volumes.ts); a volume with one live pack is kept whole. Prune
 * also removes what crashes leave: final refs with nothing behind them (orphan-refs.ts) and temp
 * files older than the stale age (stale-temps.ts).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Drive } from './drive';
import { Drive as DriveClass } from './drive';
import { BlobIndex, encodeIndex, readBlob } from './index-file';
import type { PackLocation } from './drive-store';
import { listSnapshots } from './snapshot';
import type { SnapshotEntry } from './snapshot';
import { decodeTree } from './tree';
import { openSnapshotDrives } from './restorer';
import { Lock, lockedMessage, readLocks, removeStaleLocks, staleContext } from './lock';
import { isStale, provisionalExpired, staleAgeFromEnv } from './lock-rules';
import { CorruptionError, EngineError, LockedError, throwIfAborted } from './errors';
import { planPrune } from './prune-plan';
import type { PrunePlan } from './prune-plan';
import { parseRefs } from './validate';
import { orphanReason } from './orphan-refs';
import { removeStaleTemps, type StaleTempOptions } from './stale-temps';
import { planRecycle, readPool, recycleVolumes, startedWithTimes } from './tape-volumes';
import type { RecycleStep } from './tape-volumes';
import type { KeepPolicy } from '../model/plan';
import { planRetention } from '../model/retention';

export type { KeepPolicy };

export interface ForgetPlan {
  keep: SnapshotEntry[];
  remove: SnapshotEntry[];
}

/**
 * Pure: which snapshots a policy keeps, per group of app and paths (src/model/retention.ts: the
 * newest of each bucket, UTC; the newest of a group and any `protect`ed snapshot always stay).
 * With `app`, only that app's snapshots are considered: the others are kept untouched.
 */
export function planForget(
  snaps: SnapshotEntry[],
  policy: KeepPolicy,
  scope: { app?: string; protect?: ReadonlySet<string> } = {},
): ForgetPlan {
  if (!Object.values(policy).some((n) => typeof n === 'number' && n > 0)) {
    throw new EngineError(
      'no keep policy given, so forget would remove every snapshot; pass --keep-last, --keep-hourly, --keep-daily, ' +
        '--keep-weekly, --keep-monthly or --keep-yearly',
      'NO_POLICY',
    );
  }
  const groups = new Map<string, SnapshotEntry[]>();
  for (const s of snaps) {
    if (scope.app !== undefined && s.snapshot.app !== scope.app) continue;
    const g = JSON.stringify([s.snapshot.app ?? null, s.snapshot.paths]);
    groups.set(g, [...(groups.get(g) ?? []), s]);
  }
  const remove = new Set<string>();
  for (const list of groups.values()) {
    const dated = list.map((s) => ({ id: s.id, time: s.snapshot.time }));
    for (const s of planRetention(dated, policy, scope.protect).forget) remove.add(s.id);
  }
  return { keep: snaps.filter((s) => !remove.has(s.id)), remove: snaps.filter((s) => remove.has(s.id)) };
}

export interface ForgetOptions {
  drive: Drive;
  policy: KeepPolicy;
  dryRun?: boolean;
  password?: string;
  /** Only this app's snapshots; others stay. */
  app?: string;
  /** Snapshot IDs never forgotten (a running job or restore uses them). */
  protect?: ReadonlySet<string>;
}

export async function forget(opts: ForgetOptions): Promise<ForgetPlan> {
  const { drive } = opts;
  const lock = await Lock.acquire(drive, true, 'forget');
  try {
    const plan = planForget(await listSnapshots(drive), opts.policy, { app: opts.app, protect: opts.protect });
    if (opts.dryRun) return plan;
    await lock.check();
    for (const s of plan.remove) {
      lock.throwIfLost();
      for (const ref of s.snapshot.drives) {
        if (ref.id === drive.id) continue;
        // drop the foreign reference so that drive's prune may free the data; if that drive is
        // away, the reference stays and only keeps data longer than needed
        try {
          const other = await DriveClass.open(ref.path, { password: opts.password });
          if (other.id === ref.id) await other.remove('refs', s.id);
        } catch {
          // unreachable drive: see above
        }
      }
      await drive.remove('snapshots', s.id);
    }
    return plan;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

export interface PruneOptions {
  drive: Drive;
  password?: string;
  otherDrives?: Drive[];
  signal?: AbortSignal;
  dryRun?: boolean;
  /** tests: called between the steps of recycling tape volumes */
  onRecycleStep?: RecycleStep;
}

export interface PruneResult {
  packsKept: number;
  packsDeleted: number;
  bytesFreed: number;
  /** tape: packs dropped from the index whose volume space cannot be reused */
  packsDropped: number;
  indexFilesReplaced: number;
  /** packs in no index but younger than the grace window (the stale age), left for a later prune */
  packsSpared: number;
  /** tape: volumes recycled (every pack on them unreferenced), and how many are free now */
  volumesRecycled: number;
  volumesFree: number;
  /**
   * final refs files with no snapshot and no live backup behind them (orphan-refs.ts), removed
   * (counted in a dry run), so the packs they pinned can go
   */
  refsRemoved: number;
  /** temp files a crashed writer left, older than the stale age (stale-temps.ts), removed or counted */
  tempFilesRemoved: number;
  tempBytesRemoved: number;
}

export async function prune(opts: PruneOptions): Promise<PruneResult> {
  const { drive, signal } = opts;
  const lock = await Lock.acquire(drive, true, 'prune');
  try {
    const revived = await removeStaleLocks(drive, lock.name);
    if (revived.length > 0) throw new LockedError(lockedMessage(drive, revived[0].lock, 'prune'));
    const seen = { snapshots: await drive.list('snapshots'), refs: await drive.list('refs') };
    const index = await BlobIndex.load(drive);
    const used = await findUsedBlobs(opts, index);
    const staleMs = staleAgeFromEnv();
    const { pinned, expired, orphaned } = await readPinnedPacks(drive, opts.otherDrives ?? [], staleMs);
    const plan = planPrune(
      [...index.packs.values()].map((p) => p.pack),
      used,
      pinned,
      await drive.packs.listPacks(),
      { now: Date.now(), ms: staleMs },
    );
    const result: PruneResult = {
      packsKept: plan.keep.length,
      packsDeleted: 0,
      bytesFreed: 0,
      packsDropped: 0,
      indexFilesReplaced: index.loadedFiles.length,
      packsSpared: plan.spared.length,
      volumesRecycled: 0,
      volumesFree: 0,
      refsRemoved: orphaned.length,
      tempFilesRemoved: 0,
      tempBytesRemoved: 0,
    };
    const temps = { olderThanMs: staleMs, dryRun: opts.dryRun, beforeRemove: () => lock.throwIfLost() };
    if (opts.dryRun) {
      result.packsDeleted = plan.drop.length + plan.orphans.length;
      await countTemps(drive, result, temps);
      return result;
    }
    throwIfAborted(signal, 'prune');
    await assertNothingNew(drive, lock, { index: index.loadedFiles, ...seen });
    // before any pack goes: an expired or orphaned file left behind would name packs no longer there
    for (const name of [...expired, ...orphaned]) {
      lock.throwIfLost();
      await drive.remove('refs', name);
    }
    await applyPrune(drive, lock, plan, index.loadedFiles, result, opts.onRecycleStep);
    await countTemps(drive, result, temps);
    return result;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/**
 * Just before deleting: the lock is still prune's own, no other live lock appeared, and no index
 * file, snapshot or refs file appeared since prune read them. Any of these means another process
 * wrote to the drive meanwhile (a backup whose lock prune took for stale, or one on another drive
 * writing refs here), so its plan may be wrong: it stops before deleting anything.
 */
async function assertNothingNew(
  drive: Drive,
  lock: Lock,
  seen: { index: string[]; snapshots: string[]; refs: string[] },
): Promise<void> {
  await lock.check();
  const ctx = staleContext();
  const other = (await readLocks(drive)).find((l) => l.name !== lock.name && !isStale(l.lock, l.mtimeMs, ctx));
  if (other) throw new LockedError(lockedMessage(drive, other.lock, 'prune (its deletions)'));
  for (const dir of ['index', 'snapshots', 'refs'] as const) {
    const before = new Set(seen[dir]);
    const fresh = (await drive.list(dir)).filter((n) => !before.has(n));
    if (fresh.length > 0) {
      throw new LockedError(
        `${dir}/${fresh[0].slice(0, 12)} appeared on drive ${drive.path} while prune ran (another process wrote to the drive); ` +
          `prune stopped before deleting anything. Run it again.`,
      );
    }
  }
}

/** Blobs in use by this drive's snapshots: every tree they reach and every chunk those list. */
async function findUsedBlobs(opts: PruneOptions, index: BlobIndex): Promise<Set<string>> {
  const { drive, signal } = opts;
  const used = new Set<string>();
  for (const { id, snapshot } of await listSnapshots(drive)) {
    const all = snapshot.drives.some((d) => d.id !== drive.id)
      ? (await openSnapshotDrives(drive, snapshot, opts.otherDrives, opts.password)).index
      : index;
    const walk = async (treeId: string): Promise<void> => {
      throwIfAborted(signal, 'prune');
      if (used.has(treeId)) return;
      used.add(treeId);
      const loc = all.get(treeId);
      if (!loc) throw notIndexed(drive, id, 'tree', treeId);
      for (const n of decodeTree(await readBlob(loc), treeId).nodes) {
        for (const c of n.content ?? []) {
          // a chunk in no index lies in a pack prune would take for an orphan and delete
          if (!all.has(c)) throw notIndexed(drive, id, 'data blob', c);
          used.add(c);
        }
        if (n.subtree) await walk(n.subtree);
      }
    };
    await walk(snapshot.tree);
  }
  return used;
}

/** A blob a snapshot uses is in no index: prune stops before it deletes anything. */
function notIndexed(drive: Drive, snapshot: string, what: string, blob: string): CorruptionError {
  return new CorruptionError(
    `${what} ${blob} of snapshot ${snapshot} is in no index; prune stopped without deleting anything. ` +
      `If an index file was lost, rebuild the index from the packs with \`baton repo repair index --drive ${drive.path}\`, ` +
      `then run \`baton repo verify --drive ${drive.path}\``,
    undefined,
    blob,
  );
}

/** Removes (or counts) the temp files crashed writers left on the drive (stale-temps.ts). */
async function countTemps(drive: Drive, result: PruneResult, opts: Omit<StaleTempOptions, 'now'>): Promise<void> {
  const t = await removeStaleTemps(drive.path, { ...opts, now: Date.now() });
  result.tempFilesRemoved = t.files;
  result.tempBytesRemoved = t.bytes;
}

/**
 * Packs other drives' snapshots reference through refs/, and those provisional refs files of
 * resumed backups pin; `expired`: provisional refs files past their life (lock-rules.ts), and
 * `orphaned`: final refs with no snapshot and no live backup behind them on `others`
 * (orphan-refs.ts); both pin nothing, and prune removes them.
 */
async function readPinnedPacks(
  drive: Drive,
  others: readonly Drive[],
  staleMs: number,
): Promise<{ pinned: Set<string>; expired: string[]; orphaned: string[] }> {
  const pinned = new Set<string>();
  const expired: string[] = [];
  const orphaned: string[] = [];
  for (const name of await drive.list('refs')) {
    const refs = parseRefs(await drive.readFile('refs', name), name, drive.path);
    if ((await orphanReason(drive, name, refs, others, staleMs)) !== null) {
      orphaned.push(name);
      continue;
    }
    if (refs.provisional) {
      // gone since it was read (its backup committed): judged by its own time alone
      const mtimeMs = await stat(join(drive.path, 'refs', name)).then(
        (st) => st.mtimeMs,
        () => Date.now(),
      );
      if (provisionalExpired(refs.provisional, mtimeMs, Date.now())) {
        expired.push(name);
        continue;
      }
    }
    for (const p of refs.packs) pinned.add(p);
  }
  return { pinned, expired, orphaned };
}

/**
 * Carries a plan out in the order that makes an interruption safe: 1. a new index superseding the
 * index files prune loaded (and only those: one written meanwhile lists packs prune never saw), so
 * even readers of a half-done prune see a consistent view, 2. unused packs, 3. the loaded index
 * files. With nothing to drop and one index file, only orphans go and the index stays. A lock lost
 * on the way stops it between two deletions.
 */
async function applyPrune(
  drive: Drive,
  lock: Lock,
  plan: PrunePlan,
  loaded: string[],
  result: PruneResult,
  onRecycleStep?: RecycleStep,
): Promise<void> {
  const { keep, drop, orphans } = plan;
  const deleteAll = async (packs: PackLocation[]): Promise<void> => {
    for (const p of packs) {
      lock.throwIfLost();
      if (await drive.packs.deletePack(p)) {
        result.packsDeleted++;
        result.bytesFreed += p.length;
      } else if (drive.packs.appendOnly) {
        result.packsDropped++;
      }
    }
  };
  if (drop.length > 0 || loaded.length > 1) {
    const { id, data } = encodeIndex(drive, { version: 1, packs: keep, supersedes: loaded });
    await lock.writeHeld('index', id, data);
    await deleteAll([...drop, ...orphans]);
    await recycleTape(drive, lock, plan, result, onRecycleStep);
    for (const name of loaded) if (name !== id) await drive.remove('index', name);
  } else {
    await deleteAll(orphans);
    await recycleTape(drive, lock, plan, result, onRecycleStep);
    result.indexFilesReplaced = 0;
  }
}

/**
 * Tape: after the new index (which lists no pack of them) is written, the volumes with no kept
 * pack, last written before the grace window, are recycled. A volume with one live pack stays
 * whole: there is no repacking on tape (it would rewrite live data to reclaim the rest).
 */
async function recycleTape(
  drive: Drive,
  lock: Lock,
  plan: PrunePlan,
  result: PruneResult,
  onStep?: RecycleStep,
): Promise<void> {
  const tape = drive.config.tape;
  if (!tape) return;
  const { pool } = await readPool(drive.path, tape.volumes);
  const kept = new Set(plan.keep.flatMap((p) => (p.volume === undefined ? [] : [p.volume])));
  const recycle = planRecycle(await startedWithTimes(drive.path), pool, kept, Date.now() - staleAgeFromEnv());
  lock.throwIfLost();
  const next = await recycleVolumes(drive.path, drive.id, pool, recycle, onStep);
  result.volumesRecycled = recycle.length;
  result.volumesFree = next.free.length;
}
