/**
 * Baton's data engine: deduplicated, compressed, encrypted snapshots on directory and tape
 * drives, with checkpoints that resume anywhere. Knows nothing of Temporal. Format:
 * docs/repository-format.md.
 *
 * API for the backup service (a Temporal activity wraps these; every call takes an optional
 * AbortSignal, honoured within about a second, and a ProgressReporter called on the main thread):
 *
 *   const drive = await openDrive(path, { password, create?: { kind: 'directory' | 'tape', volumeSize?, volumes?, encryption } });
 *   const r = await backup({ drive, sources, app, cachePath, checkpointEvery: { seconds, bytes },   // or resume(cp, {...})
 *                            onCheckpoint, resumeFrom, otherDrives, password, signal, progress, beforeWrite });
 *     -> { snapshotId, incomplete, stats, errors, warnings }
 *     onCheckpoint(cp) gets a JSON-safe Checkpoint only after all it names is durable (the backup waits
 *     for it); pass one back as resumeFrom (any process, same or another drive) to continue into ONE
 *     snapshot. Its walk state is O(directory depth); it grows by one pack ID per 16 MiB pack.
 *     beforeWrite() is the fencing hook: called before each pack write and before the snapshot
 *     commit; if it throws, the backup stops and no snapshot is written.
 *   await restore({ drive, otherDrives?, password?, snapshotId, target, subtree?, signal, progress })
 *   await verify({ drive, readData?, password?, signal, progress }) -> { errors: Finding[], ... }
 *   await listSnapshots(drive) -> [{ id, snapshot }]
 *   await forget({ drive, policy }) / prune({ drive })
 *
 * Errors meant for users are EngineError subclasses (DriveFullError, WrongPasswordError,
 * CorruptionError, PathEscapeError, AbortedError, LockedError) with messages naming the object, the
 * consequence and the next command.
 */
import { Drive } from './drive';
import type { OpenOptions } from './drive';

export { Drive } from './drive';
export type { CreateOptions, OpenOptions } from './drive';
export type { DriveKind, DriveConfig } from './config';
export { FORMAT_VERSION } from './config';
export { clusterContentKey } from './content-key';
export { backup, resume } from './archiver';
export { checkpointPacksGone, contentIdsMismatch } from './checkpoint-resume';
export type { BackupOptions, BackupResult } from './archiver';
export { WalkAhead } from './walk-ahead';
export { restore } from './restorer';
export { prestartWorkers } from './worker-start';
export type { RestoreOptions, RestoreResult } from './restorer';
export { listSnapshots, readSnapshot } from './snapshot';
export { verify } from './checker';
export type { VerifyOptions, VerifyResult, Finding, FindingKind } from './checker';
export { forget, prune, planForget } from './pruner';
export type { KeepPolicy, ForgetOptions, ForgetPlan, PruneOptions, PruneResult } from './pruner';
export type { Snapshot, SnapshotEntry, BackupStats, SnapshotError } from './snapshot';
export type { Checkpoint } from './checkpoint';
export type { ProgressReporter, ProgressCounters } from './progress';
export { noopProgress } from './progress';
export * from './errors';

/** Opens the drive at `path` (its config says its kind); with `create`, initialises it if absent. */
export function openDrive(path: string, opts: OpenOptions = {}): Promise<Drive> {
  return Drive.open(path, opts);
}
