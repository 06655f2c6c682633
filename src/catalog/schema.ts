/**
 * The catalog's tables as Kysely sees them. Times are ISO-8601 text in both dialects; JSON
 * columns are text. docs/catalog.md describes each table.
 */
import type { Generated, Selectable } from 'kysely';

export interface NodesTable {
  name: string;
  updated_at: string;
}

export interface AppsTable {
  name: string;
  paths_json: string;
  restart: string;
  max_checkpoint_age_s: number;
  updated_at: string;
  /** When the plan first gave the app a restore test (kept while it has one); null without one. */
  restore_test_since: string | null;
}

export interface DrivesTable {
  name: string;
  node: string;
  kind: string;
  path: string;
  updated_at: string;
}

export interface JobsTable {
  id: string;
  cluster: string;
  app: string;
  kind: string;
  node: string;
  drive: string;
  state: string;
  requested_by: string;
  started_at: string;
  finished_at: string | null;
  files: number | null;
  bytes: number | null;
  location: string | null;
  error: string | null;
  epoch: Generated<number>;
}

export interface JobEventsTable {
  id: Generated<number>;
  cluster: string;
  /** Null for cluster-wide events (coordinator failover, app moves). */
  job_id: string | null;
  at: string;
  kind: string;
  node: string | null;
  message: string;
  data_json: string | null;
}

export interface AttemptsTable {
  job_id: string;
  number: number;
  epoch: number;
  node: string;
  drive: string;
  started_at: string;
  ended_at: string | null;
  /** succeeded, failed, timed-out, moved, cancelled, fenced */
  outcome: string | null;
  /** null for the first attempt; `checkpoint` or `fresh` after */
  restart_kind: string | null;
  restart_reason: string | null;
  resumed_from_json: string | null;
}

export interface CheckpointsTable {
  job_id: string;
  epoch: number;
  seq: number;
  at: string;
  node: string;
  files: number;
  bytes: number;
  /** clear JSON in rows written before catalog v5 (never resumed); empty in sealed rows */
  data_json: string;
  /** the drive whose key seals the row: its ID (associated data) and path (where to open it) */
  drive_id: string | null;
  drive_path: string | null;
  /** `aes-256-gcm` (an encrypted drive) or `sha256` (an unencrypted one); null before catalog v5 */
  seal: string | null;
  /** base64 of the sealed checkpoint (src/engine/checkpoint-seal.ts) */
  sealed: string | null;
}

export interface DriveLeasesTable {
  drive: string;
  job_id: string;
  epoch: number;
  node: string;
  acquired_at: string;
  /** when the lease lapses unless its attempt renews it; null: never (it waits on the holder's state) */
  expires_at: string | null;
}

/** A job waiting for a drive another job holds (drive-line.ts); one row per drive and job. */
export interface DriveWaitersTable {
  drive: string;
  job_id: string;
  /** when the job first asked for the drive: its place in line */
  since: string;
  /** when it last asked: a waiter not seen for a while has stopped waiting */
  seen_at: string;
}

export interface SnapshotsTable {
  id: string;
  job_id: string;
  cluster: string;
  app: string;
  drive: string;
  drive_path: string;
  at: string;
  files: number;
  bytes: number;
  new_bytes: number;
  /** 1 when some files could not be read (each is recorded in the snapshot) */
  incomplete: number;
  /** When a retention job forgot it on its drive (null: still there), and that job's ID. */
  forgotten_at: Generated<string | null>;
  forgotten_by: Generated<string | null>;
}

/** One restore-test run (restore-tests.ts). */
export interface RestoreTestsTable {
  /** the run's workflow ID */
  id: string;
  cluster: string;
  app: string;
  node: string;
  drive: string;
  snapshot_id: string;
  requested_by: string;
  /** the sample as JSON (`{"files":100}`, `{"fraction":0.1}`); null: the whole snapshot */
  sample: string | null;
  seed: number;
  started_at: string;
  finished_at: string | null;
  /** running, succeeded, failed, cancelled */
  state: string;
  files: number | null;
  bytes: number | null;
  /** the first file that differed (relative to the snapshot's root); null when none did */
  path: string | null;
  message: string;
}

export interface HostsTable {
  host: string;
  /** the node that last started there */
  node: string;
  first_seen: string;
  last_seen: string;
}

export interface Database {
  nodes: NodesTable;
  apps: AppsTable;
  drives: DrivesTable;
  jobs: JobsTable;
  job_events: JobEventsTable;
  attempts: AttemptsTable;
  checkpoints: CheckpointsTable;
  drive_leases: DriveLeasesTable;
  drive_waiters: DriveWaitersTable;
  snapshots: SnapshotsTable;
  hosts: HostsTable;
  restore_tests: RestoreTestsTable;
}

export type JobRow = Selectable<JobsTable>;
export type JobEventRow = Selectable<JobEventsTable>;
export type AttemptRow = Selectable<AttemptsTable>;
export type DriveLeaseRow = Selectable<DriveLeasesTable>;
export type CheckpointRow = Selectable<CheckpointsTable>;
export type SnapshotRow = Selectable<SnapshotsTable>;
export type RestoreTestRow = Selectable<RestoreTestsTable>;
