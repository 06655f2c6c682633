/**
 * The cluster plan: nodes, their pre-assigned drives, the apps to back up and the job settings.
 * Plain JSON (no Maps, Dates or classes): it travels through Temporal payloads and continue-as-new.
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
  /**
   * A backup that finds no drive at `path` initialises one (recording a drive-initialised event).
   * Unset, it refuses with the fix (`baton apply --init-drives`): a typo or an unmounted SAN
   * must not become a new, empty drive.
   */
  initOnFirstBackup?: boolean;
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
  /**
   * Which of the app's snapshots each drive keeps (docs/operations.md, Retention); absent or null:
   * all of them. Absent in plans from before retention.
   */
  keep?: KeepPolicy | null;
  /** Scheduled restore tests of the app (docs/operations.md, Restore tests); absent or null: none. */
  restoreTest?: RestoreTestSpec | null;
}

/**
 * A retention policy, restic's rules: the newest snapshot of each of the last N hours, days, weeks
 * (ISO, Monday first), months and years, in UTC, plus the newest `last`; the union of all rules.
 */
export interface KeepPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

/** How much of the snapshot a restore test restores: a number of files, or a fraction of them. */
export type SampleSpec = { files: number } | { fraction: number };

/** An app's `restoreTest`: when, how much, and where on the node (model/restore-test.ts). */
export interface RestoreTestSpec {
  schedule: AppSchedule;
  /** null: the whole latest snapshot. */
  sample: SampleSpec | null;
  /** Absolute directory on the node under which each run makes (and removes) its own; null: under the node's state directory. */
  scratch: string | null;
}

/** A cron expression or a fixed interval, and how far back missed runs are caught up. */
export interface AppSchedule {
  cron?: string;
  everySeconds?: number;
  /** Where within the interval an `every` schedule fires, from the config; absent: spread by the schedule's ID (schedule-offset.ts). */
  offsetSeconds?: number;
  /** How long after each of its times a cron schedule may fire (Temporal's schedule jitter); absent: at the time. */
  jitterSeconds?: number;
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
  /** Bytes per second a restore may write or a verify read; 0 means no limit (absent in older plans). */
  operationBandwidthLimitBytesPerSecond?: number;
}

export const DEFAULT_JOB_SETTINGS: JobSettings = {
  heartbeatTimeoutSeconds: 10,
  scheduleToStartTimeoutSeconds: 30,
  placementWaitSeconds: 120,
  maxAttempts: 5,
  checkpointEverySeconds: 15,
  checkpointEveryBytes: 256 * 1024 * 1024,
  operationBandwidthLimitBytesPerSecond: 0,
};

/** What the coordinator is told about the cluster: nodes, their drives, and the apps to back up. */
export interface ClusterPlan {
  cluster: string;
  nodes: NodeSpec[];
  drives: DriveSpec[];
  apps: AppSpec[];
  jobs: JobSettings;
}
