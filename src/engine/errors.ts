/**
 * User-facing errors of the data engine. Each message names the object, the consequence and the
 * next step; callers (CLI, activities) print `message` as is. Anything else thrown is a bug.
 */
import { BatonError } from '../model/errors';
import type { EngineErrorCode } from '../model/failures';

export class EngineError extends BatonError {
  constructor(
    message: string,
    readonly code: EngineErrorCode,
  ) {
    super(message);
  }
}

/** The drive cannot take more data: ENOSPC on a directory drive, or a tape out of volumes. */
export class DriveFullError extends EngineError {
  constructor(drivePath: string, detail: string) {
    super(
      `drive ${drivePath} is full (${detail}); the backup was not committed and no snapshot was written. ` +
        `Free space or add volumes, or resume from the last checkpoint on another drive; ` +
        `run \`baton repo prune --drive ${drivePath}\` to drop unreferenced data.`,
      'DRIVE_FULL',
    );
  }
}

export class WrongPasswordError extends EngineError {
  constructor(drivePath: string) {
    super(
      `wrong password for drive ${drivePath}: its master key did not decrypt; nothing was read or written. ` +
        `Set BATON_PASSWORD or --password-file to the passphrase used at \`baton repo init\`.`,
      'WRONG_PASSWORD',
    );
  }
}

/** Stored data failed a check (hash, tag, structure). Carries what was being read. */
export class CorruptionError extends EngineError {
  constructor(
    message: string,
    readonly pack?: string,
    readonly blob?: string,
  ) {
    super(message, 'CORRUPT');
  }
}

/** A restore would write outside its target directory. */
export class PathEscapeError extends EngineError {
  constructor(path: string, why: string) {
    super(
      `refusing to restore ${JSON.stringify(path)}: ${why}; nothing was written there. ` +
        `The snapshot may be damaged or crafted: run \`baton repo verify\` on its drive.`,
      'PATH_ESCAPE',
    );
  }
}

export class AbortedError extends EngineError {
  constructor(what: string) {
    super(`${what} was cancelled; nothing was committed by it`, 'ABORTED');
  }
}

/** A backup asked to stop (BackupOptions.stopSignal) ended after saving checkpoint `seq`, or before any. */
export class StoppedError extends EngineError {
  constructor(readonly seq: number | null) {
    super(
      seq === null
        ? 'backup stopped before its first checkpoint; nothing was committed by it'
        : `backup stopped after checkpoint ${seq}; nothing was committed by it, a resume from that checkpoint continues it`,
      'ABORTED',
    );
  }
}

export class LockedError extends EngineError {
  constructor(message: string) {
    super(message, 'LOCKED');
  }
}

/** A holder's lock vanished or was replaced, or its refresh came too late to trust it: it stops. */
export class LockLostError extends LockedError {
  constructor(drivePath: string, purpose: string, why: string) {
    super(
      `the ${purpose} lock on drive ${drivePath} ${why}; ${purpose} stopped without committing anything more. ` +
        `Another process may have taken the lock for stale (not refreshed within its stale age, as when this ` +
        `process was paused or its drive hung) and pruned data under it. Retry the ${purpose}.`,
    );
  }
}

/** Throws AbortedError if the signal fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortedError(what);
}

export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
