/**
 * A backup job and its attempts: inputs, progress, outcomes, and the views the coordinator and
 * the CLI show. Plain JSON: everything here travels through Temporal payloads.
 */
import type { AppSpec, DriveSpec, JobSettings } from './plan';

export type JobState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Everything a backup job workflow needs; the coordinator builds it. */
export interface BackupJobInput {
  cluster: string;
  jobId: string;
  coordinatorId: string;
  app: AppSpec;
  /** The node hosting the app when the job started, and its drive. */
  node: string;
  drive: DriveSpec;
  /** Every drive of the plan, so the job can follow its app to any node's pre-assigned drive. */
  drives: DriveSpec[];
  settings: JobSettings;
  requestedBy: string;
  /** Read every file, ignoring the node's file cache. */
  full: boolean;
  /**
   * For a job its requester starts (StartBackupRequest.startsJob): the latest server time its
   * workflow may start at. A start that comes later ends the job at once: by then the
   * coordinator may have given the job up (START_WINDOW_MS, backup-job-start.ts).
   */
  startBy?: string;
}

/**
 * A checkpoint of an attempt, as the catalog keeps it: durable progress. The data path's resume
 * state stays in the catalog (it can be large); the next attempt loads it by job and `seq`.
 */
export interface CheckpointRef {
  at: string;
  epoch: number;
  node: string;
  files: number;
  bytes: number;
  /** The checkpoint's number within the job, its key in the catalog. */
  seq: number;
}

/**
 * The next node's answer to "can you resume this checkpoint": its drives open there and it opens
 * with its drive's key. `problem` says why not. (Histories before 0.1.0's sealed checkpoints hold
 * a plain boolean.)
 */
export interface CheckpointCheck {
  readable: boolean;
  problem?: string;
}

export interface AttemptSpec {
  number: number;
  epoch: number;
  node: string;
  drive: DriveSpec;
}

/** The backup service's input for one attempt. */
export interface BackupAttemptInput {
  job: BackupJobInput;
  attempt: AttemptSpec;
  resumeFrom: CheckpointRef | null;
}

export type RestartKind = 'checkpoint' | 'fresh';

export interface RestartDecision {
  kind: RestartKind;
  reason: string;
}

export type AttemptOutcome = 'running' | 'succeeded' | 'failed' | 'timed-out' | 'moved' | 'fenced' | 'cancelled';

export interface AttemptView {
  number: number;
  epoch: number;
  node: string;
  drive: string;
  outcome: AttemptOutcome;
  restart: RestartDecision | null;
  error?: string;
}

/** Progress an attempt reports while it runs, in its heartbeat details (BackupHeartbeat, heartbeat.ts). */
export interface BackupProgress {
  files: number;
  bytes: number;
  /** Estimates from the app's previous snapshot; 0 when there is none. */
  totalFiles: number;
  totalBytes: number;
  /** Bytes per second this attempt has processed so far. */
  rateBytesPerSecond: number;
  /** Seconds left at that rate, from the estimate; null when unknown. */
  etaSeconds: number | null;
  /** The last file read, in walk order. */
  lastPath: string | null;
  /** ISO time of the attempt's last checkpoint, or null before the first. */
  checkpointAt: string | null;
  /** The epoch of the attempt reporting; reports from older attempts are dropped. */
  epoch: number;
  /**
   * ISO time (the node's clock) the attempt first reported progress past the position it resumed
   * from (0 for a fresh start): when it was writing again. Null before; absent from older nodes.
   */
  writingAt?: string | null;
}

export interface BackupOutcome {
  files: number;
  bytes: number;
  durationMs: number;
  /** Bytes that were new to the drive (after deduplication, before compression). */
  newBytes: number;
  /** The committed snapshot's ID, and the path of the drive that holds it. */
  snapshotId: string;
  drive: string;
  /** Committed with some files unreadable (each recorded in the snapshot). */
  incomplete: boolean;
}

export interface BackupJobResult {
  jobId: string;
  app: string;
  node: string;
  drive: string;
  state: JobState;
  outcome?: BackupOutcome;
  error?: string;
  attempts?: AttemptView[];
}

/** A job as the coordinator tracks it. */
export interface JobEntry {
  jobId: string;
  app: string;
  node: string;
  drive: string;
  state: JobState;
  startedAt: string;
  /** A job its requester starts: until then (and a grace after) the reconcile leaves it alone. */
  startBy?: string;
  finishedAt?: string;
  error?: string;
}

export interface StartBackupRequest {
  app: string;
  /** Who asked: `cli:<user>`, `schedule`, `demo`... recorded in the catalog. */
  requestedBy: string;
  /** Read every file, ignoring the file cache (a full read, e.g. for a drill or after a suspected corruption). */
  full?: boolean;
  /**
   * The requester starts the job's workflow itself from the answer's `job` (sendStartBackup does):
   * the coordinator only plans it. A coordinator run from before COORDINATOR_LETS_REQUESTERS_START_JOBS
   * ignores it and starts the job as its child.
   */
  startsJob?: boolean;
}

export interface StartedBackup {
  jobId: string;
  node: string;
  drive: string;
  /** The planned job, for a requester that starts it (StartBackupRequest.startsJob). */
  job?: BackupJobInput;
}

export interface JobFinished {
  jobId: string;
  state: JobState;
  error?: string;
}

/** A job's live view: what the Web UI's current details and `baton status` show. */
export interface JobView {
  jobId: string;
  app: string;
  node: string;
  drive: string;
  attempt: number;
  state: JobState;
  /**
   * In the job's `view` query: null, except in a job whose attempts still signalled progress.
   * Clients fill it from the running attempt's heartbeat details (src/client/live-progress.ts).
   */
  progress: BackupProgress | null;
  attempts: AttemptView[];
  outcome?: BackupOutcome;
  error?: string;
}

/** A job that ended tells the job first in line for a drive it released (driveFreedSignal). */
export interface DriveFreed {
  /** the job that released the drive */
  by: string;
}

/** A job tells its coordinator it started an attempt on another node. */
export interface JobRouted {
  jobId: string;
  node: string;
  drive: string;
  attempt: number;
}

/** The coordinator tells a job the cluster service reports its app on another node (or on none). */
export interface AppMoved {
  app: string;
  from: string | null;
  to: string | null;
  reason: string;
}
