/**
 * A backup job's end, told to its coordinator (JOB_REPORTS_END_BY_UPDATE in backup-job.ts). The
 * job workflow runs this on the coordinator queue, like its catalog activities: an activity
 * because it uses the Temporal client.
 *
 * It sends the jobEnded update, addressed run by run under one update ID as startBackup is
 * (coordinator-update.ts), so a run that continues as new while it is on its way hands it to the
 * next run instead of failing its own close. A coordinator that does not take it within the
 * update's windows (its workflow task failing for longer than 6 s, a stuck coordinator) is told by
 * the jobFinished signal instead, which waits in its history whatever state it is in: a job never
 * waits on its coordinator to end. It heartbeats while it waits (a third of its heartbeat timeout),
 * so a node that dies meanwhile costs the job that timeout, and the retry on another node is told
 * by the same update ID, not the minutes of its start-to-close timeout.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { sendCoordinatorUpdate } from '../client/coordinator-update';
import { heartbeatEvery } from './heartbeat-timer';
import type { JobFinished } from '../model/backup';
import { jobEndedUpdate, jobFinishedSignal } from '../workflows/messages';

export interface JobEndReport {
  coordinatorId: string;
  end: JobFinished;
}

/** How the coordinator was told. */
export type JobEndTold = 'update' | 'signal';

/** The update ID of a job's end: the same for every try, so a run that took it answers again. */
export function jobEndUpdateId(jobId: string): string {
  return `job-end-${jobId}`;
}

export function createJobEndActivities(deps: { client: Client }) {
  return {
    async reportJobEnd({ coordinatorId, end }: JobEndReport): Promise<JobEndTold> {
      const stop = heartbeatWhileWaiting();
      try {
        return await tell(deps.client, coordinatorId, end);
      } finally {
        stop();
      }
    },
  };
}

/** Heartbeats every third of the activity's heartbeat timeout (none set: nothing) until stopped. */
function heartbeatWhileWaiting(): () => void {
  const timeoutMs = Context.current().info.heartbeatTimeoutMs;
  return timeoutMs ? heartbeatEvery(Math.max(100, timeoutMs / 3)) : () => undefined;
}

async function tell(client: Client, coordinatorId: string, end: JobFinished): Promise<JobEndTold> {
  try {
    await sendCoordinatorUpdate(client, coordinatorId, jobEndedUpdate, end, {
      updateId: jobEndUpdateId(end.jobId),
      signal: Context.current().cancellationSignal,
    });
    return 'update';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw ApplicationFailure.nonRetryable(
        `no run of coordinator ${coordinatorId} is running to hear that job ${end.jobId} ended`,
        'CoordinatorNotRunning',
      );
    }
    Context.current().log.warn('the coordinator did not take the job end by update; signalling it', {
      jobId: end.jobId,
      error: String(err),
    });
  }
  await client.workflow.getHandle(coordinatorId).signal(jobFinishedSignal, end);
  return 'signal';
}

export type JobEndActivities = ReturnType<typeof createJobEndActivities>;
