/**
 * Every signal, update and query of Baton's workflows, defined once; their payload types are
 * Baton's words and live in src/model. The CLI, the workers and the workflows import these.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AppMoved,
  BackupProgress,
  DriveFreed,
  JobFinished,
  JobRouted,
  JobView,
  StartBackupRequest,
  StartedBackup,
} from '../model/backup';
import type { ClusterChanged } from '../model/cluster';
import type { CoordinatorSnapshot, HostReport } from '../model/coordinator';
import type { OperationProgress, OperationView, RetentionFinished } from '../model/operations';
import type { ClusterPlan } from '../model/plan';

/** Replace the coordinator's plan (nodes, drives, apps). An update so the caller sees a refusal. */
/**
 * The failure type of an update the coordinator refuses because it is handing over to its next run
 * (continue-as-new suggested): it stops taking updates so the ones in flight can finish and the run
 * can end even under a steady stream of requests. Clients retry it (src/client/draining.ts).
 */
export const COORDINATOR_DRAINING = 'CoordinatorDraining';

export const configureUpdate = defineUpdate<void, [ClusterPlan]>('configure');

/**
 * Start a backup of one app now. An update, not a signal: the caller learns the job ID, or why the
 * coordinator refused (unknown app, app not placed, backup already running).
 */
export const startBackupUpdate = defineUpdate<StartedBackup, [StartBackupRequest]>('startBackup');

/**
 * Sent by a job workflow to its coordinator when it reaches a terminal state, before the job
 * reported its end by update (jobEndedUpdate, JOB_REPORTS_END_BY_UPDATE in backup-job.ts); the
 * coordinator keeps its handler for the jobs that still do, and reportJobEnd falls back to it.
 */
export const jobFinishedSignal = defineSignal<[JobFinished]>('jobFinished');

/**
 * A job's end, told to the coordinator by its reportJobEnd activity. An update, not a signal: a
 * signal that arrives while the coordinator's run tries to continue as new fails that try
 * (UnhandledCommand) and the next try replays the run's whole history; an update the closing run
 * has not taken is handed to the next run (docs/scale.md).
 */
export const jobEndedUpdate = defineUpdate<void, [JobFinished]>('jobEnded');

/**
 * Sent by a backup job that ended to the job first in line for a drive it released (catalog
 * drive-line.ts): that job asks for the drive again now, not at its next poll.
 */
export const driveFreedSignal = defineSignal<[DriveFreed]>('driveFreed');

/** Sent by a job workflow to its coordinator when it starts an attempt on another node. */
export const jobRoutedSignal = defineSignal<[JobRouted]>('jobRouted');

/**
 * "Something changed in the cluster": sent by the cluster service's alert hook (`baton cluster
 * notify`), so the coordinator looks now instead of at its next tick.
 */
export const clusterChangedSignal = defineSignal<[ClusterChanged]>('clusterChanged');

/**
 * Sent by the reportHost local activity, from the node running the coordinator, when that node's
 * cluster service tells it something new; the coordinator acts on it as on any history event.
 */
export const hostReportSignal = defineSignal<[HostReport]>('hostReport');

export const coordinatorStatusQuery = defineQuery<CoordinatorSnapshot>('status');

/**
 * Sent by the backup activity while it ran, before its progress moved to heartbeat details (a
 * signal a second grew the job's history with its length). Nothing sends it now; the job keeps
 * its handler so histories that hold it replay.
 */
export const jobProgressSignal = defineSignal<[BackupProgress]>('progress');

export const jobViewQuery = defineQuery<JobView>('view');

/** Sent by the coordinator when the cluster service reports the job's app on another node (or on none). */
export const appMovedSignal = defineSignal<[AppMoved]>('appMoved');

/** A restore's or verify's live view; its state is `pending` while the request is being checked. */
export const operationViewQuery = defineQuery<OperationView>('operationView');

/**
 * Sent by the restore and verify activities while they ran, before their progress moved to
 * heartbeat details. Nothing sends it now; the handler stays so histories that hold it replay.
 */
export const operationProgressSignal = defineSignal<[OperationProgress]>('operationProgress');

/**
 * Sent by a retention job to the coordinator that started it when it ends, so the coordinator
 * starts the next one on that drive (one at a time per drive).
 */
export const retentionFinishedSignal = defineSignal<[RetentionFinished]>('retentionFinished');
