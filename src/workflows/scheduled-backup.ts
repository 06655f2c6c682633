/**
 * What a per-app Temporal Schedule starts: ask the coordinator for a backup (it goes to the app's
 * current host), then wait for that job, so the schedule's "skip" overlap policy holds while a
 * backup runs. The run ends as its backup did: a failed backup fails the run, so the schedule's
 * recent actions and `baton schedules` show it. A refusal (a backup already running, app placed
 * nowhere) ends the run with its reason: no backup was started.
 */
import { ApplicationFailure, patched, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ScheduledRunActivities, ScheduledRunInput } from '../activities/schedule-activities';
import { waitQueue } from '../model/names';

/** Runs recorded before it completed even when their backup failed (scheduled-backup-0.1.0.json). */
export const RUN_FAILS_WITH_ITS_BACKUP = 'scheduled-run-fails-with-its-backup';

/**
 * The run's activities, on the waits queue: each holds its worker's activity slot while it waits on
 * the coordinator or the job, and on the coordinator queue those of apps sharing a cron time held
 * every slot the coordinator and the jobs needed there to answer them (crowded-schedules.test). A
 * replay matches a scheduled activity by its ID and type, not its queue: runs recorded with them on
 * the coordinator queue replay as they were.
 */
function activitiesOf(cluster: string) {
  const taskQueue = waitQueue(cluster);
  return {
    scheduler: proxyActivities<ScheduledRunActivities>({
      taskQueue,
      startToCloseTimeout: '1m',
      retry: { maximumInterval: '10s', maximumAttempts: 5 },
    }),
    waiter: proxyActivities<ScheduledRunActivities>({
      taskQueue,
      startToCloseTimeout: '24h',
      heartbeatTimeout: '30s',
      retry: { maximumInterval: '10s' },
    }),
  };
}

export interface ScheduledRunResult {
  app: string;
  jobId: string | null;
  state: string;
  reason?: string;
}

export async function scheduledBackup(input: ScheduledRunInput): Promise<ScheduledRunResult> {
  const { scheduler, waiter } = activitiesOf(input.cluster);
  const started = await scheduler.requestScheduledBackup(input);
  if ('refused' in started) {
    setCurrentDetails(`skipped: ${started.refused}`);
    return { app: input.app, jobId: null, state: 'skipped', reason: started.refused };
  }
  setCurrentDetails(`backup \`${started.jobId}\` on ${started.node} to ${started.drive}`);
  if (!patched(RUN_FAILS_WITH_ITS_BACKUP)) {
    const state = await waiter.awaitJob(started.jobId);
    return { app: input.app, jobId: started.jobId, state };
  }
  const end = await waiter.awaitJobEnd(started.jobId);
  if (end.state === 'failed') {
    const error = end.error ?? `backup of ${input.app} failed`;
    setCurrentDetails(`backup \`${started.jobId}\` on ${started.node} to ${started.drive} failed: ${error}`);
    throw ApplicationFailure.nonRetryable(`${error} (job ${started.jobId})`, 'BackupFailed', {
      app: input.app,
      jobId: started.jobId,
      state: end.state,
      reason: error,
    } satisfies ScheduledRunResult);
  }
  return { app: input.app, jobId: started.jobId, state: end.state };
}
