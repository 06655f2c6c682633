/**
 * One backup of one app: record it, run the backup service's activity on the app's host node,
 * record the end, tell the coordinator. Wiring only; JobTracker holds the state.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  log,
} from '@temporalio/workflow';
import type { BackupActivities } from '../activities/backup-activities';
import type { CatalogActivities } from '../activities/catalog-activities';
import { JobTracker } from './job-tracker';
import { jobFinishedSignal, jobProgressSignal, jobViewQuery } from './messages';
import { SEARCH_ATTRIBUTES, nodeQueue } from './names';
import type { BackupJobInput, BackupJobResult, JobState } from './types';

const catalog = proxyActivities<CatalogActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '10s' },
});

function errorMessage(err: unknown): string {
  if (err instanceof ApplicationFailure) return err.message;
  if (err instanceof Error) return (err.cause as Error | undefined)?.message ?? err.message;
  return String(err);
}

export async function backupJob(input: BackupJobInput): Promise<BackupJobResult> {
  const job = new JobTracker(input);
  const show = (state: JobState) => {
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.state, value: state }]);
    setCurrentDetails(job.details());
  };
  setHandler(jobViewQuery, () => job.get());
  setHandler(jobProgressSignal, (progress) => {
    job.progress(progress);
    setCurrentDetails(job.details());
  });

  await catalog.recordJobStarted(input);
  job.running();
  show('running');

  // The node's backup service: its own queue, so the work runs where the app's data is mounted.
  // A schedule-to-start timeout catches a node with no poller; the heartbeat timeout a dead worker.
  const service = proxyActivities<BackupActivities>({
    taskQueue: nodeQueue(input.node),
    scheduleToStartTimeout: '1m',
    startToCloseTimeout: '12h',
    heartbeatTimeout: '15s',
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['WrongNode', 'DriveFull', 'AppDataMissing'] },
    summary: `back up ${input.app.name} on ${input.node} to drive ${input.drive.name}`,
  });

  try {
    job.succeeded(await service.backupApp(input));
  } catch (err) {
    job.failed(errorMessage(err));
    log.warn('backup failed', { jobId: input.jobId, error: job.get().error });
  }
  const view = job.get();
  show(view.state);

  await catalog.recordJobFinished({
    jobId: input.jobId,
    cluster: input.cluster,
    node: input.node,
    state: view.state,
    outcome: view.outcome,
    error: view.error,
  });
  try {
    await getExternalWorkflowHandle(input.coordinatorId).signal(jobFinishedSignal, {
      jobId: input.jobId,
      state: view.state,
      error: view.error,
    });
  } catch (err) {
    log.warn('could not tell the coordinator the job ended', { error: errorMessage(err) });
  }
  if (view.state === 'failed') {
    throw ApplicationFailure.nonRetryable(`backup of ${input.app.name} failed: ${view.error}`, 'BackupFailed');
  }
  return {
    jobId: input.jobId,
    app: input.app.name,
    node: input.node,
    drive: input.drive.name,
    state: view.state,
    outcome: view.outcome,
    error: view.error,
  };
}
