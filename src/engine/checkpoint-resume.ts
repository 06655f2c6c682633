/**
 * What resuming a checkpoint needs before the walk continues: its drives opened (possibly others
 * than the one the backup goes to), their indexes merged, every pack it lists checked, and the
 * partial tree blobs of large open directories read back.
 */
import type { Checkpoint, CheckpointDrive } from './checkpoint';
import { Drive } from './drive';
import { sameContentIds } from './content-key';
import { EngineError } from './errors';
import { BlobIndex, readBlob } from './index-file';
import { decodeTree } from './tree';
import type { BackupLocks } from './lock-set';

/**
 * The checkpoint drives of the backup to `drive`: those of `resume`, ready to use, and `drive`
 * (first, if the checkpoint does not name it). Drives opened here are added to `opened`. On each
 * other drive the backup takes a shared lock before reading it and, once the checkpoint's packs there
 * are found, pins them with a provisional refs file (lock-set.ts).
 */
export async function checkpointDrives(
  drive: Drive,
  resume: Checkpoint | null,
  index: BlobIndex,
  opened: Map<string, Drive>,
  password: string | undefined,
  locks: Pick<BackupLocks, 'holdOther' | 'pin'>,
): Promise<CheckpointDrive[]> {
  const drives: CheckpointDrive[] = [];
  for (const d of resume?.drives ?? []) {
    const od = opened.get(d.id) ?? (await openDrive(d, password));
    opened.set(d.id, od);
    checkSameContentIds(drive, od);
    // the drive's whole index: the checkpoint's entries may use any of its packs
    if (od !== drive) {
      // locked first: a prune cannot start there between the checks below and the commit
      await locks.holdOther(od);
      const other = await BlobIndex.load(od);
      for (const { pack } of other.packs.values()) index.addPack(od, pack);
    }
    const gone = await packGone(od, d, index);
    if (gone !== null) throw new EngineError(gone, 'CHECKPOINT_GONE');
    const used: CheckpointDrive = { id: d.id, path: d.path, packs: [...d.packs] };
    drives.push(used);
    if (od !== drive && resume) await locks.pin(used, resume.backupId);
  }
  if (!drives.some((d) => d.id === drive.id)) drives.unshift({ id: drive.id, path: drive.path, packs: [] });
  return drives;
}

/**
 * Why the checkpoint's data on drive `od` (its entry `d`) cannot be resumed: a pack it lists is not
 * in `index` as one of that drive's, or its file is gone or of another length (pruned since: prune
 * sweeps the packs of a backup whose lock went stale). Null when every pack is there.
 */
async function packGone(od: Drive, d: CheckpointDrive, index: BlobIndex): Promise<string | null> {
  for (const packId of d.packs) {
    const p = index.packs.get(packId);
    if (!p || p.drive.id !== d.id || (await od.packs.packSize(p.pack)) !== p.pack.length) {
      return (
        `pack ${packId} that the checkpoint uses is missing on drive ${d.path} (pruned since?); the checkpoint ` +
        `cannot be resumed: start a fresh backup`
      );
    }
  }
  return null;
}

/**
 * The check resuming makes (CHECKPOINT_GONE), made beforehand on one of the checkpoint's drives,
 * opened: the node's check of a checkpoint (canReadCheckpoint) asks it, so a job whose checkpoint's
 * packs are gone restarts fresh, saying why, instead of failing an attempt. Reads the drive's index.
 */
export async function checkpointPacksGone(od: Drive, d: CheckpointDrive): Promise<string | null> {
  return packGone(od, d, await BlobIndex.load(od));
}

/**
 * The checkpoint's chunks are reused by ID on the drive the backup goes to, so both drives must cut
 * and name chunks alike: the same content key (format 6, drives of one cluster), or both unkeyed.
 */
function checkSameContentIds(drive: Drive, other: Drive): void {
  const problem = contentIdsMismatch(drive, other);
  if (problem !== null) throw new EngineError(problem, 'CHECKPOINT_REFUSED');
}

/**
 * Why the checkpoint's data on `other` cannot be reused by a backup to `drive` (a format 5 drive's
 * unkeyed IDs beside a format 6 drive's keyed ones, or two content keys), or null when it can. The
 * node's check of a checkpoint (canReadCheckpoint) asks it too, so the job restarts fresh instead.
 */
export function contentIdsMismatch(drive: Drive, other: Drive): string | null {
  if (sameContentIds(drive.ids, other.ids)) return null;
  const describe = (d: Drive): string =>
    d.contentKey === null
      ? `unkeyed IDs (format ${d.config.version}${d.key ? '' : ', unencrypted'})`
      : `content key ${d.ids.fingerprint}`;
  return (
    `the checkpoint's data on drive ${other.path} (${describe(other)}) cannot be reused on drive ${drive.path} ` +
    `(${describe(drive)}): their chunks are cut and named under different keys; nothing was written. Start a ` +
    `fresh backup, or resume on a drive initialised with the checkpoint drive's content key ` +
    `(baton repo init --content-key-from ${other.path})`
  );
}

async function openDrive(d: CheckpointDrive, password: string | undefined): Promise<Drive> {
  const od = await Drive.open(d.path, { password }).catch((err: Error) => {
    throw new EngineError(
      `the checkpoint uses data on drive ${d.id} at ${d.path}, which cannot be opened (${err.message}); ` +
        `make that drive reachable here (or pass it opened), or start a fresh backup`,
      'MISSING_DRIVE',
    );
  });
  if (od.id !== d.id) {
    throw new EngineError(
      `drive at ${d.path} has ID ${od.id}, the checkpoint expects ${d.id}; pass the right drive or start a fresh backup`,
      'WRONG_DRIVE',
    );
  }
  return od;
}

/** Large open directories were stored as partial tree blobs: reads them back into the frames. */
export async function readPartialTrees(resume: Checkpoint, index: BlobIndex): Promise<void> {
  for (const f of resume.frames) {
    if (f.nodesTree === undefined) continue;
    const loc = index.get(f.nodesTree);
    if (!loc) {
      throw new EngineError(
        `partial tree ${f.nodesTree} of the checkpoint is on none of its drives; start a fresh backup`,
        'CHECKPOINT_GONE',
      );
    }
    f.nodes = decodeTree(await readBlob(loc), f.nodesTree).nodes;
    f.nodesTree = undefined;
  }
}
