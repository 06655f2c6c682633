/**
 * How a failed node activity reads: one classification of the failure (the node went quiet or
 * away, the service refused, anything else) for the backup, restore and verify workflows. Pure
 * (the failure classes come from @temporalio/common), so unit tests build failures and check it.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';
import type { AttemptOutcome } from '../model/backup';
import { isFinalBackupFailure } from '../model/failures';

export interface FailureDescription {
  /** How a backup attempt that failed so ended. */
  outcome: Extract<AttemptOutcome, 'timed-out' | 'fenced' | 'failed'>;
  /** The failure's type: the activity's own, NodeUnavailable for a node gone quiet, else Failed. */
  type: string;
  /** One line naming the node: a restore's or verify's error. */
  message: string;
  /**
   * The same said of the attempt that ran on the node (a backup's error, which its restart
   * reason puts after "attempt 2 on node-1"): the node's name is already there.
   */
  ofAttempt: string;
  /** A backup failure another attempt cannot fix (FINAL_BACKUP_FAILURES). */
  final: boolean;
}

/** Timeouts: a node that stopped heartbeating, never picked the work up, or ran out of time. */
function timeout(type: TimeoutType, node: string): FailureDescription {
  const [message, ofAttempt] =
    type === TimeoutType.HEARTBEAT
      ? [
          `node ${node} stopped heartbeating (dead or cut off from Temporal)`,
          'stopped heartbeating (node dead or cut off)',
        ]
      : type === TimeoutType.SCHEDULE_TO_START
        ? [
            `no backup service picked the work up on node ${node} (is its node process running?)`,
            'was never picked up (no backup service polling that node)',
          ]
        : [`node ${node} ran out of time`, 'ran out of time'];
  return { outcome: 'timed-out', type: 'NodeUnavailable', message, ofAttempt, final: false };
}

/** Why an activity on `node` failed (`err` as the activity's promise rejected). */
export function describeFailure(err: unknown, node: string): FailureDescription {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) return timeout(cause.timeoutType, node);
  if (cause instanceof ApplicationFailure) {
    return {
      outcome: cause.type === 'Fenced' ? 'fenced' : 'failed',
      type: cause.type ?? 'Failed',
      message: cause.message,
      ofAttempt: cause.message,
      final: isFinalBackupFailure(cause.type),
    };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { outcome: 'failed', type: 'Failed', message, ofAttempt: message, final: false };
}
