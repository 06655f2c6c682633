/**
 * The kinds of event the catalog's timeline records (`job_events.kind`), as one union: the
 * writers and the readers (`baton job`, the drills) agree by the compiler.
 */
import type { JobState } from './backup';

/** A job's start and end: `job-started`, `job-succeeded`, `job-failed`, ... */
export type JobEventKind = 'job-started' | `job-${JobState}`;

/** An attempt of a backup job, as the catalog and the backup service see it. */
export type AttemptEventKind =
  | 'attempt-started'
  | 'attempt-ended'
  | 'attempt-stopped'
  | 'attempt-isolated'
  /** the backup service committed the attempt's snapshot and the catalog recorded it (attempt-commits.ts) */
  | 'attempt-committed'
  /** an attempt that ended `moved` without a commit was fenced off before the next attempt */
  | 'attempt-fenced'
  | 'write-fenced'
  /** the job's drive lease expired unrenewed and another job's attempt took the drive over */
  | 'lease-expired'
  /** a backup initialised its drive, as the drive's initOnFirstBackup allowed */
  | 'drive-initialised'
  /** the job ended: its checkpoints were deleted (the event keeps their times, for the drill's figures) */
  | 'checkpoints-deleted';

/** A restore's, verify's or retention job's start and end: `restore-started`, `retention-finished`, ... */
export type OperationEventKind =
  `${'restore' | 'verify' | 'retention'}-${'started' | 'finished' | 'failed' | 'cancelled'}`;

/** What the coordinator noticed about the cluster or itself. */
export type CoordinatorEventKind =
  | 'app-moved'
  /**
   * the coordinator moved off a node its new host's cluster service reports down (or does not list),
   * or a hand-over's node was reported down within the watch after it (HANDOVER_WATCH_SECONDS)
   */
  | 'coordinator-failover'
  /** the coordinator moved off a node that service still reports up: that node's worker missed a task */
  | 'coordinator-handover'
  | 'coordinator-reconciled'
  /** A job whose workflow ended outside Baton (terminated, timed out), closed by the reconcile. */
  | 'job-closed'
  | 'cluster-service-unreachable'
  | 'cluster-service-recovered';

export type EventKind = JobEventKind | AttemptEventKind | OperationEventKind | CoordinatorEventKind;
