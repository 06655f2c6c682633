/**
 * How a backup job's workflow is started, by whoever starts it: the coordinator as its child (runs
 * from before COORDINATOR_LETS_REQUESTERS_START_JOBS) or the requester with the client
 * (src/client/planned-job-start.ts). One place for its ID, queue, timeout and search attributes.
 */
import type { BackupJobInput } from './backup';
import { SEARCH_ATTRIBUTES, coordinatorQueue } from './names';
import { WORKFLOW_TASK_TIMEOUT } from './task-timeouts';

/**
 * How long a requester has, from the coordinator's plan, to start the job's workflow: the job's
 * `startBy`. A workflow started later ends at once (JOB_STARTS_WITHIN_ITS_WINDOW in backup-job.ts).
 */
export const START_WINDOW_MS = 60_000;

/**
 * After `startBy`, how long the coordinator's reconcile still leaves a job it has not seen started:
 * room for the server's clocks. Then a job whose workflow Temporal does not know is closed (the
 * requester died, or its start never reached the server), and its app is free again.
 */
export const START_GRACE_MS = 10_000;

/** The options every start of a backup job's workflow shares. */
export function backupJobStartOptions(job: BackupJobInput, shortTaskTimeout = true) {
  return {
    workflowId: job.jobId,
    taskQueue: coordinatorQueue(job.cluster),
    args: [job] as [BackupJobInput],
    ...(shortTaskTimeout ? { workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT } : {}),
    staticSummary: `Backup of app ${job.app.name} (cluster ${job.cluster})`,
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.cluster, value: job.cluster },
      { key: SEARCH_ATTRIBUTES.app, value: job.app.name },
      { key: SEARCH_ATTRIBUTES.node, value: job.node },
      { key: SEARCH_ATTRIBUTES.state, value: 'pending' },
    ],
  };
}

/** Whether the coordinator's reconcile may look for a job's workflow at `nowMs` (see START_GRACE_MS). */
export function startSettled(entry: { startBy?: string }, nowMs: number): boolean {
  return entry.startBy === undefined || nowMs >= Date.parse(entry.startBy) + START_GRACE_MS;
}
