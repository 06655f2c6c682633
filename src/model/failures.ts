/**
 * The failure types Baton's activities and workflows throw (`ApplicationFailure.type`), as unions,
 * so the thrower and the code that reads the type agree by the compiler, not by hand.
 */

/** The codes of the data engine's user-facing errors (EngineError.code). */
export type EngineErrorCode =
  | 'ABORTED'
  | 'BAD_CHECKPOINT'
  | 'BAD_CONFIG'
  | 'BAD_KIND'
  | 'BAD_OPTION'
  | 'BAD_SOURCE'
  | 'BAD_VOLUME_SIZE'
  | 'CHECKPOINT_GONE'
  | 'CHECKPOINT_REFUSED'
  | 'CORRUPT'
  | 'DRIVE_CHANGED'
  | 'DRIVE_EXISTS'
  | 'DRIVE_STATE'
  | 'DRIVE_FULL'
  | 'KEY_IN_USE'
  | 'LOCKED'
  | 'MISSING_DRIVE'
  | 'NO_DRIVE'
  | 'NO_PASSWORD'
  | 'NO_POLICY'
  | 'NO_SNAPSHOT'
  | 'NO_SUBTREE'
  | 'NO_PATH'
  | 'PATH_ESCAPE'
  | 'TOO_MANY_BLOBS'
  | 'UNENCRYPTED_DRIVE'
  | 'UNSUPPORTED_VERSION'
  | 'WRONG_DRIVE'
  | 'WRONG_PASSWORD';

/** Why a backup attempt failed, as the backup service reports it. */
export type BackupFailureType =
  | 'WrongNode'
  | 'DriveFull'
  | 'AppDataMissing'
  | 'Fenced'
  | 'WrongPassword'
  /** the drive is not what this node expects: unencrypted with a passphrase, changed key, rolled back */
  | 'DriveRefused'
  /** no drive at the drive's path: not initialised (`baton apply --init-drives`) or not mounted */
  | 'DriveMissing'
  | 'Isolated'
  /** the node process was asked to stop (SIGTERM): the attempt checkpointed and ended; the job carries on */
  | 'NodeStopping'
  /**
   * the checkpoint cannot be resumed here (sealed with another key, or its data cut and named under
   * another repository format or content key): not final, the next attempt's check says why and it
   * restarts fresh
   */
  | 'CheckpointRefused'
  /** an app's or drive's path lies outside the roots the node's own config allows (nodes[].allowedRoots) */
  | 'PathNotAllowed';

/** Backup failures that another attempt cannot fix: the job fails at once instead of retrying. */
export const FINAL_BACKUP_FAILURES: readonly BackupFailureType[] = [
  'WrongNode',
  'DriveFull',
  'AppDataMissing',
  'Fenced',
  'WrongPassword',
  'DriveRefused',
  'DriveMissing',
  'PathNotAllowed',
];

/** Why a restore or verify failed, as the backup service or the catalog reports it. */
export type OperationFailureType =
  | 'WrongNode'
  | 'BadTarget'
  | 'WrongPassword'
  | 'DriveLocked'
  | 'DriveUnavailable'
  | 'Corruption'
  | 'Aborted'
  | 'PathEscape'
  | 'UnknownSnapshot'
  | 'UnknownPath'
  | 'TargetFull'
  | 'TargetNotWritable'
  /** a drive's path lies outside the roots the node's own config allows (nodes[].allowedRoots) */
  | 'PathNotAllowed'
  /** The engine's own code, for an engine failure without a type of its own. */
  | EngineErrorCode;

/** Why a restore or verify workflow ended failed: the activity's type, or one of these. */
export type OperationEndType = OperationFailureType | 'NodeUnavailable' | 'Failed';

/** Why the coordinator refused a request (startBackup, configure). */
export type RefusalCode = 'UnknownApp' | 'AppNotPlaced' | 'NoDrive' | 'AlreadyRunning' | 'InvalidPlan' | 'InUse';

/** The failure a backup job workflow ends with when its last attempt failed. */
export type JobFailureType = 'BackupFailed';

export function isFinalBackupFailure(type: string | null | undefined): boolean {
  return FINAL_BACKUP_FAILURES.some((t) => t === type);
}
