/**
 * Plain JSON types shared by the workflows, activities, config and CLI. No Maps, no Dates, no
 * classes: everything here travels through Temporal payloads and continue-as-new.
 */

export interface NodeSpec {
  name: string;
}

export type DriveKind = 'directory' | 'tape';

export interface DriveSpec {
  name: string;
  /** The node this drive is pre-assigned to. */
  node: string;
  kind: DriveKind;
  /** Absolute path of the drive as every node sees it (shared storage). */
  path: string;
  /** tape only: bytes per volume and number of volumes */
  volumeSize?: number;
  volumes?: number;
}

export type RestartPolicy = 'checkpoint' | 'fresh' | 'auto';

export interface AppSpec {
  name: string;
  /** Absolute paths of the app's data, on shared storage that moves with the app. */
  paths: string[];
  restart: RestartPolicy;
  /** A checkpoint older than this is not resumed under the `auto` policy. */
  maxCheckpointAgeSeconds: number;
  /** Bytes per second a backup of this app may read; 0 means no limit. */
  bandwidthLimitBytesPerSecond: number;
  /** When to back the app up on its own; null: only on request. */
  schedule: AppSchedule | null;
}

/** A cron expression or a fixed interval, and how far back missed runs are caught up. */
export interface AppSchedule {
  cron?: string;
  everySeconds?: number;
  catchupWindowSeconds: number;
}

/** How jobs detect trouble and recover; cluster-wide, from the config's `jobs` section. */
export interface JobSettings {
  /** A backup attempt that sends no heartbeat for this long is declared dead. */
  heartbeatTimeoutSeconds: number;
  /** An attempt no node picks up within this long (its node is down) is re-routed. */
  scheduleToStartTimeoutSeconds: number;
  /** How long a job waits for the cluster to place its app somewhere after its node died. */
  placementWaitSeconds: number;
  /** Attempts per job before it fails. */
  maxAttempts: number;
  checkpointEverySeconds: number;
  checkpointEveryBytes: number;
}

export const DEFAULT_JOB_SETTINGS: JobSettings = {
  heartbeatTimeoutSeconds: 10,
  scheduleToStartTimeoutSeconds: 30,
  placementWaitSeconds: 120,
  maxAttempts: 5,
  checkpointEverySeconds: 15,
  checkpointEveryBytes: 256 * 1024 * 1024,
};

/** What the coordinator is told about the cluster: nodes, their drives, and the apps to back up. */
export interface ClusterPlan {
  cluster: string;
  nodes: NodeSpec[];
  drives: DriveSpec[];
  apps: AppSpec[];
  jobs: JobSettings;
}

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

export type AttemptOutcome = 'running' | 'succeeded' | 'failed' | 'timed-out' | 'moved' | 'fenced';

export interface AttemptView {
  number: number;
  epoch: number;
  node: string;
  drive: string;
  outcome: AttemptOutcome;
  restart: RestartDecision | null;
  error?: string;
}

/** Progress an attempt reports while it runs (heartbeat details and the job's progress signal). */
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
  finishedAt?: string;
  error?: string;
}

/** A snapshot the catalog knows, and the drive that holds it: where a restore reads from. */
export interface SnapshotSource {
  snapshotId: string;
  app: string;
  /** The backup job that committed it. */
  jobId: string;
  /** Name and path of the drive holding the snapshot (other drives it spans are opened by their recorded paths). */
  drive: string;
  drivePath: string;
  at: string;
  files: number;
  bytes: number;
}

/** Everything a restore workflow needs; `baton restore` builds it from the config and its flags. */
export interface RestoreJobInput {
  cluster: string;
  jobId: string;
  app: string;
  /** A snapshot ID (or a unique prefix of at least 4 digits); null: the app's latest in the catalog. */
  snapshotId: string | null;
  /** The node that receives the files; null: the app's current host, as the cluster service reports it. */
  node: string | null;
  /** Absolute path on that node: an empty directory, or one that does not exist yet. */
  target: string;
  /** A directory inside the snapshot; only its contents are restored (into target). */
  subtree: string | null;
  requestedBy: string;
  settings: JobSettings;
}

/** The backup service's input for a restore. */
export interface RestoreRequest {
  jobId: string;
  node: string;
  app: string;
  source: SnapshotSource;
  target: string;
  subtree: string | null;
}

/** Everything a verify workflow needs: the drive, and the node that reads it (by default the drive's own). */
export interface VerifyJobInput {
  cluster: string;
  jobId: string;
  drive: DriveSpec;
  node: string;
  /** Also read every pack and check every blob, not only the structure. */
  readData: boolean;
  requestedBy: string;
  settings: JobSettings;
}

/** The backup service's input for a verify. */
export interface VerifyRequest {
  jobId: string;
  node: string;
  drive: DriveSpec;
  readData: boolean;
}

/** Progress a restore or verify reports while it runs (heartbeat details and a progress signal). */
export interface OperationProgress {
  files: number;
  bytes: number;
  /** From the catalog's snapshot row for a restore; 0 when unknown (verify). */
  totalFiles: number;
  totalBytes: number;
  /** The last file restored; null for a verify. */
  currentPath: string | null;
}

export interface RestoreOutcome {
  snapshotId: string;
  node: string;
  target: string;
  files: number;
  dirs: number;
  bytes: number;
  /** Entries not restored (fifos, sockets, devices), with why. */
  skipped: { path: string; message: string }[];
  durationMs: number;
}

/** One problem a verify found: what is damaged, and where (pack, blob, snapshot, file) when known. */
export interface VerifyFinding {
  kind: string;
  message: string;
  pack?: string;
  blob?: string;
  snapshot?: string;
  path?: string;
}

export interface VerifyOutcome {
  drive: string;
  node: string;
  readData: boolean;
  ok: boolean;
  /** How many errors the verify found; `errors` lists the first of them (at most 50). */
  errorCount: number;
  errors: VerifyFinding[];
  /** Harmless findings (e.g. packs left by an interrupted backup), counted. */
  infos: number;
  snapshots: number;
  packs: number;
  blobs: number;
  bytesRead: number;
  durationMs: number;
}

export type OperationKind = 'restore' | 'verify';

/** The result of a restore or verify workflow (also the failure's details when it fails). */
export interface OperationResult {
  jobId: string;
  kind: OperationKind;
  state: JobState;
  node: string | null;
  app: string | null;
  drive: string | null;
  restore?: RestoreOutcome;
  verify?: VerifyOutcome;
  error?: string;
}
