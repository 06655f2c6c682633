/**
 * The one way the activities fail on purpose: an ApplicationFailure whose type is one of the
 * unions in src/model/failures.ts, so a misspelt type fails the compiler, not the workflow that
 * reads it (the job's FINAL_BACKUP_FAILURES, the operation's end type).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { BackupFailureType, OperationFailureType } from '../model/failures';

export type ActivityFailureType = BackupFailureType | OperationFailureType;

/** A failure of `type`; non-retryable unless `retryable` (most say the same request would fail again). */
export function failure(
  message: string,
  type: ActivityFailureType,
  opts: { retryable?: boolean } = {},
): ApplicationFailure {
  return opts.retryable ? ApplicationFailure.retryable(message, type) : ApplicationFailure.nonRetryable(message, type);
}
