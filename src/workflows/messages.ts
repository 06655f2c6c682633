/**
 * Every signal, update and query of Baton's workflows, with their payload types, defined once.
 * The CLI, the workers and the workflows import them from here.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CoordinatorSnapshot } from './coordinator-state';
import type { OperationView } from './operation-tracker';
import type { AttemptView, BackupOutcome, BackupProgress, ClusterPlan, JobState, OperationProgress } from './types';

export interface StartBackupRequest {
  app: string;
  /** Who asked: `cli:<user>`, `schedule`, `demo`... recorded in the catalog. */
  requestedBy: string;
  /** Read every file, ignoring the file cache (a full read, e.g. for a drill or after a suspected corruption). */
  full?: boolean;
}

export interface StartedBackup {
  jobId: string;
  node: string;
  drive: string;
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
  progress: BackupProgress | null;
  attempts: AttemptView[];
  outcome?: BackupOutcome;
  error?: string;
}

/** Replace the coordinator's plan (nodes, drives, apps). An update so the caller sees a refusal. */
export const configureUpdate = defineUpdate<void, [ClusterPlan]>('configure');

/**
 * Start a backup of one app now. An update, not a signal: the caller learns the job ID, or why the
 * coordinator refused (unknown app, app not placed, backup already running).
 */
export const startBackupUpdate = defineUpdate<StartedBackup, [StartBackupRequest]>('startBackup');

/** Sent by a job workflow to its coordinator when it reaches a terminal state. */
export const jobFinishedSignal = defineSignal<[JobFinished]>('jobFinished');

/** Sent by a job workflow to its coordinator when it starts an attempt on another node. */
export const jobRoutedSignal =
  defineSignal<[{ jobId: string; node: string; drive: string; attempt: number }]>('jobRouted');

/**
 * "Something changed in the cluster": sent by the cluster service's alert hook (`baton cluster
 * notify`), so the coordinator looks now instead of at its next tick.
 */
export const clusterChangedSignal = defineSignal<[{ source: string; kind: string; detail?: string }]>('clusterChanged');

export const coordinatorStatusQuery = defineQuery<CoordinatorSnapshot>('status');

/** Sent by the backup activity while it runs: progress and the last checkpoint. */
export const jobProgressSignal = defineSignal<[BackupProgress]>('progress');

export const jobViewQuery = defineQuery<JobView>('view');

/** Sent by the coordinator when the cluster service reports the job's app on another node (or on none). */
export const appMovedSignal =
  defineSignal<[{ app: string; from: string | null; to: string | null; reason: string }]>('appMoved');

/** A restore's or verify's live view; its state is `pending` while the request is being checked. */
export const operationViewQuery = defineQuery<OperationView>('operationView');

/** Sent by the restore and verify activities while they run: files and bytes so far. */
export const operationProgressSignal = defineSignal<[OperationProgress]>('operationProgress');
