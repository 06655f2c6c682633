/**
 * Restores and verifies ("operations"): inputs, progress and outcomes. Plain JSON: everything here
 * travels through Temporal payloads.
 */
import type { DriveSpec, JobSettings, KeepPolicy } from './plan';
import type { JobState } from './backup';

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
  /**
   * Files or directories inside the snapshot (`baton restore --path`, several times); each is
   * restored at its relative position under target, one directory alone as `subtree` (absent: all).
   */
  paths?: string[];
  /** Skip device nodes (`--no-devices`; as root they are made by default). Absent: false. */
  noDevices?: boolean;
  /** Restore modes without their setuid and setgid bits (`--no-setuid`). Absent: false. */
  noSetuid?: boolean;
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
  /** Files or directories inside the snapshot, as in RestoreJobInput. */
  paths?: string[];
  /** Bytes per second the restore may write; 0 or absent: no limit. */
  rateLimit?: number;
  /** As in RestoreJobInput; sent only when true. */
  noDevices?: boolean;
  noSetuid?: boolean;
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
  /** Bytes per second reading the packs may take; 0 or absent: no limit. */
  rateLimit?: number;
}

/** Progress a restore or verify reports while it runs, in its heartbeat details (OperationHeartbeat, heartbeat.ts). */
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
  /** Entries restored without their setuid/setgid bits; present only with noSetuid. */
  setuidStripped?: number;
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

/** A restore's or verify's live view. `pending` means still checking the request (snapshot, node, target). */
export interface OperationView {
  jobId: string;
  kind: OperationKind;
  state: JobState;
  /** The request passed its checks and the node took it on (it may have ended since). */
  accepted: boolean;
  app: string | null;
  node: string | null;
  drive: string | null;
  snapshotId: string | null;
  target: string | null;
  subtree: string | null;
  readData: boolean;
  progress: OperationProgress | null;
  restore?: RestoreOutcome;
  verify?: VerifyOutcome;
  error?: string;
}

export interface OperationStart {
  jobId: string;
  kind: OperationKind;
  app?: string;
  node?: string | null;
  drive?: string;
  target?: string;
  subtree?: string | null;
  readData?: boolean;
}

/** One app's keep policy, as a retention job applies it. */
export interface AppRetention {
  app: string;
  keep: KeepPolicy;
}

/**
 * A retention job: forget, on one drive, the snapshots of each app its keep policy does not keep,
 * prune what they alone used, and mark them forgotten in the catalog. Run by the drive's node.
 */
export interface RetentionJobInput {
  cluster: string;
  jobId: string;
  drive: DriveSpec;
  node: string;
  apps: AppRetention[];
  requestedBy: string;
  settings: JobSettings;
  /** The coordinator that started it and hears of its end; null when started by hand. */
  coordinatorId: string | null;
}

/** The backup service's input for a retention job. */
export interface RetentionRequest {
  cluster: string;
  jobId: string;
  node: string;
  drive: DriveSpec;
  apps: AppRetention[];
}

export interface RetentionOutcome {
  drive: string;
  node: string;
  /** Snapshot IDs kept and forgotten on the drive, of the job's apps. */
  kept: string[];
  forgotten: string[];
  /** Catalog rows marked forgotten (the forgotten ones, and any already gone from the drive). */
  catalogMarked: number;
  packsDeleted: number;
  bytesFreed: number;
  /** tape: packs dropped from the index (their space comes back when their whole volume is recycled) */
  packsDropped: number;
  /** tape: volumes prune recycled, and how many are free after it (absent on a directory drive) */
  volumesRecycled?: number;
  volumesFree?: number;
  durationMs: number;
}

/** The result of a retention workflow. */
export interface RetentionResult {
  jobId: string;
  state: JobState;
  drive: string;
  node: string;
  apps: string[];
  outcome?: RetentionOutcome;
  error?: string;
}

/** A retention job's end, as its coordinator hears of it. */
export interface RetentionFinished {
  jobId: string;
  drive: string;
  state: JobState;
}
