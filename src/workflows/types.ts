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
}

export type RestartPolicy = 'checkpoint' | 'fresh' | 'auto';

export interface AppSpec {
  name: string;
  /** Absolute paths of the app's data, on shared storage that moves with the app. */
  paths: string[];
  restart: RestartPolicy;
  /** A checkpoint older than this is not resumed under the `auto` policy. */
  maxCheckpointAgeSeconds: number;
}

/** What the coordinator is told about the cluster: nodes, their drives, and the apps to back up. */
export interface ClusterPlan {
  cluster: string;
  nodes: NodeSpec[];
  drives: DriveSpec[];
  apps: AppSpec[];
}

export type JobState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Everything a backup job workflow needs; the coordinator builds it. */
export interface BackupJobInput {
  cluster: string;
  jobId: string;
  coordinatorId: string;
  app: AppSpec;
  node: string;
  drive: DriveSpec;
  requestedBy: string;
}

/** Progress an attempt reports while it runs (heartbeat details and the job's progress signal). */
export interface BackupProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
  /** The last file that is safely on the drive, in walk order. */
  lastPath: string | null;
  /** ISO time of the last checkpoint, or null before the first. */
  checkpointAt: string | null;
}

export interface BackupOutcome {
  files: number;
  bytes: number;
  durationMs: number;
  /** Where the backup landed on the drive. */
  location: string;
}

export interface BackupJobResult {
  jobId: string;
  app: string;
  node: string;
  drive: string;
  state: JobState;
  outcome?: BackupOutcome;
  error?: string;
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
